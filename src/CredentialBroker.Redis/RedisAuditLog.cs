using System.Globalization;
using System.Text.Json;
using CredentialBroker.Abstractions.Audit;
using StackExchange.Redis;

namespace CredentialBroker.Redis;

/// <summary>
/// The boundary log in Redis: per chain a list of JSON entries (<c>{t:N}:audit</c>) and its head (<c>{t:N}:audit:head</c>),
/// per task the positions of its events (<c>{t:N}:audit:task:&lt;id&gt;</c>), and the signed checkpoints
/// (<c>{t:0}:audit:checkpoints</c>). Events about a task are appended by the script that records the task's action
/// (<c>audit.lua</c> runs inside it); this class appends the others and reads, checkpoints and trims.
/// </summary>
public sealed class RedisAuditLog : IAuditLog
{
    private readonly RedisContext _redis;

    /// <summary>Creates the log over the broker's Redis context.</summary>
    public RedisAuditLog(RedisContext redis) => _redis = redis;

    /// <inheritdoc />
    public int Chains => _redis.Keys.AuditChains;

    /// <inheritdoc />
    public int ChainOf(string? taskId) => _redis.Keys.ChainOf(taskId);

    /// <inheritdoc />
    public ValueTask<AuditEntry> AppendAsync(AuditEvent audit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(audit);
        return _redis.ExecuteDurableAsync(async (touched, ct) =>
        {
            var (keys, args) = Arguments(_redis, audit, audit.TaskId);
            touched.Add(keys[0]);
            var seq = (long)await _redis.Db.ScriptEvaluateAsync(
                RedisScripts.AuditAppend, keys, args);
            var entries = await ReadRangeAsync(_redis.Keys.ChainOf(audit.TaskId), seq - 1, 1);
            return entries.Count == 1 ? entries[0] : throw new Abstractions.Storage.StoreUnavailableException("An appended audit event could not be read back.");
        }, cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<AuditEntry>> ReadAsync(int chain, long afterSeq, int limit, CancellationToken cancellationToken) =>
        _redis.ExecuteAsync(_ => ReadRangeAsync(chain, afterSeq, limit), cancellationToken);

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<AuditHead>> HeadsAsync(CancellationToken cancellationToken) =>
        _redis.ExecuteAsync(async _ =>
        {
            var heads = await Task.WhenAll(Enumerable.Range(0, Chains).Select(chain => _redis.Db.StringGetAsync(_redis.Keys.AuditHead(chain))));
            return (IReadOnlyList<AuditHead>)[.. heads.Select((head, chain) => ParseHead(chain, head)).OfType<AuditHead>()];
        }, cancellationToken);

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<AuditEntry>> TaskEventsAsync(string taskId, CancellationToken cancellationToken) =>
        _redis.ExecuteAsync(async _ =>
        {
            var chain = _redis.Keys.ChainOf(taskId);
            var positions = await _redis.Db.ListRangeAsync(_redis.Keys.AuditTask(taskId));
            var first = await FirstSeqAsync(chain);
            var entries = new List<AuditEntry>(positions.Length);
            foreach (var position in positions)
            {
                var seq = (long)position;
                if (first is not { } f || seq < f)
                {
                    continue; // trimmed behind a checkpoint
                }

                // An event removed from the list (or one moved into its place) leaves the position without its event: an
                // entry that does not verify stands in for it, so a trace resting on it is not verified.
                var raw = await _redis.Db.ListGetByIndexAsync(_redis.Keys.AuditLog(chain), seq - f);
                var entry = raw.IsNull ? null : Parse(raw!);
                entries.Add(entry is not null && entry.Seq == seq && entry.Chain == chain ? entry : new AuditEntry(chain, seq, string.Empty, string.Empty, "{}"));
            }

            return (IReadOnlyList<AuditEntry>)entries;
        }, cancellationToken);

    /// <inheritdoc />
    public async ValueTask AddCheckpointAsync(AuditCheckpoint checkpoint, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        var json = JsonSerializer.Serialize(checkpoint, StoreJsonContext.Default.AuditCheckpoint);
        await _redis.ExecuteDurableAsync(async (touched, ct) =>
        {
            touched.Add(_redis.Keys.AuditCheckpoints);
            var over = await _redis.Db.ListRightPushAsync(_redis.Keys.AuditCheckpoints, json) - _redis.Broker.Audit.MaxCheckpoints;
            if (over > 0)
            {
                // Never one a chain's first retained event sits right after: it anchors that chain (verification needs it to
                // tell a trimmed chain from one whose oldest events were removed).
                var firsts = await Task.WhenAll(Enumerable.Range(0, Chains).Select(FirstSeqAsync));
                var stored = await _redis.Db.ListRangeAsync(_redis.Keys.AuditCheckpoints);
                var kept = stored.Select(s => JsonSerializer.Deserialize((string)s!, StoreJsonContext.Default.AuditCheckpoint)!).ToList();
                var dropped = AuditCheckpoints.Excess(kept, _redis.Broker.Audit.MaxCheckpoints, c => c.Heads.Any(h => h.Chain < firsts.Length && firsts[h.Chain] == h.Seq + 1));
                foreach (var index in dropped)
                {
                    await _redis.Db.ListRemoveAsync(_redis.Keys.AuditCheckpoints, stored[index], 1);
                }
            }

            return true;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask<AuditCheckpoint?> LastCheckpointAsync(CancellationToken cancellationToken) =>
        _redis.ExecuteAsync(async _ =>
        {
            var last = await _redis.Db.ListGetByIndexAsync(_redis.Keys.AuditCheckpoints, -1);
            return last.IsNull ? null : JsonSerializer.Deserialize((string)last!, StoreJsonContext.Default.AuditCheckpoint);
        }, cancellationToken);

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<AuditCheckpoint>> CheckpointsAsync(CancellationToken cancellationToken) =>
        _redis.ExecuteAsync(async _ =>
        {
            var stored = await _redis.Db.ListRangeAsync(_redis.Keys.AuditCheckpoints);
            return (IReadOnlyList<AuditCheckpoint>)[.. stored.Select(s => JsonSerializer.Deserialize((string)s!, StoreJsonContext.Default.AuditCheckpoint)!)];
        }, cancellationToken);

    /// <inheritdoc />
    public ValueTask<long> TrimAsync(int chain, long throughSeq, CancellationToken cancellationToken) =>
        _redis.ExecuteDurableAsync(async (touched, ct) =>
        {
            touched.Add(_redis.Keys.AuditLog(chain));
            return (long)await _redis.Db.ScriptEvaluateAsync(RedisScripts.AuditTrim, [_redis.Keys.AuditLog(chain)], [throughSeq, 10_000]);
        }, cancellationToken);

    /// <summary>The audit keys and arguments a recording script takes after its own: the chain's head, list and the task's index; chain, body, digest, keep-until, indexed.</summary>
    /// <remarks>
    /// A store method passes the task its action changes as <paramref name="taskId"/>: the event goes to that task's chain and
    /// index whatever it names, since a script may only touch the slot of the task it changes.
    /// </remarks>
    internal static (RedisKey[] Keys, RedisValue[] Args) Arguments(RedisContext redis, AuditEvent audit, string? taskId)
    {
        var chain = redis.Keys.ChainOf(taskId);
        var index = taskId is null ? redis.Keys.AuditHead(chain) : redis.Keys.AuditTask(taskId);
        var keep = (redis.Time.GetUtcNow() + redis.Broker.Audit.Retention + redis.Broker.RecordRetention).ToUnixTimeMilliseconds();
        return ([redis.Keys.AuditHead(chain), redis.Keys.AuditLog(chain), index], [chain, audit.Body, AuditHash.Digest(audit.Body), keep, taskId is null ? "0" : "1"]);
    }

    private async Task<IReadOnlyList<AuditEntry>> ReadRangeAsync(int chain, long afterSeq, int limit)
    {
        // Entries sit at position seq - first; a tampered list (an entry removed or inserted) is read as it is, and
        // verification names the first entry out of place.
        if (await FirstSeqAsync(chain) is not { } first || limit <= 0)
        {
            return [];
        }

        var start = Math.Max(0, afterSeq + 1 - first);
        var raw = await _redis.Db.ListRangeAsync(_redis.Keys.AuditLog(chain), start, start + limit - 1);
        return [.. raw.Select(r => Parse(r!))];
    }

    private async Task<long?> FirstSeqAsync(int chain)
    {
        var first = await _redis.Db.ListGetByIndexAsync(_redis.Keys.AuditLog(chain), 0);
        return first.IsNull ? null : Parse(first!).Seq;
    }

    private static AuditHead? ParseHead(int chain, RedisValue head)
    {
        if (head.IsNull)
        {
            return null;
        }

        var text = (string)head!;
        var space = text.IndexOf(' ', StringComparison.Ordinal);
        return new AuditHead(chain, long.Parse(text.AsSpan(0, space), CultureInfo.InvariantCulture), text[(space + 1)..]);
    }

    /// <summary>Reads a stored entry. The body is kept as the exact text stored, since its hash covers those bytes.</summary>
    internal static AuditEntry Parse(string stored)
    {
        try
        {
            using var document = JsonDocument.Parse(stored);
            var root = document.RootElement;
            return new AuditEntry(
                root.GetProperty("chain").GetInt32(),
                root.GetProperty("seq").GetInt64(),
                root.GetProperty("prev").GetString()!,
                root.GetProperty("hash").GetString()!,
                root.GetProperty("event").GetRawText());
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            // An entry someone overwrote with something else: kept, unverifiable, so verification names it.
            return new AuditEntry(-1, -1, string.Empty, string.Empty, stored);
        }
    }
}
