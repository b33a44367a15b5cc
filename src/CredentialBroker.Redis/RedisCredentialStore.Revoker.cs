using System.Globalization;
using System.Text.Json;
using CredentialBroker.Core;
using CredentialBroker.Core.Storage;
using StackExchange.Redis;

namespace CredentialBroker.Redis;

/// <summary>
/// The revoker's durable work in Redis. Work is a stream (<c>cb:{work}:intents</c>) read through the consumer
/// group <c>revokers</c>: any replica takes entries; entries a replica took and never acknowledged are taken
/// over with XAUTOCLAIM. Each entry names a task whose pending set (<c>cb:{T}:pending</c>) holds the
/// credentials to deliver downstream. The expiry index shards hand out due credentials under a lease.
/// </summary>
public sealed partial class RedisCredentialStore : IRevokerStore
{
    private const string Group = "revokers";
    private volatile bool _groupReady;

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<DueCredential>> ClaimDueAsync(DateTimeOffset now, int limit, TimeSpan lease, CancellationToken cancellationToken) =>
        _resilience.ExecuteAsync<IReadOnlyList<DueCredential>>(async ct =>
        {
            var db = Db;
            var claimed = new List<DueCredential>();
            for (var shard = 0; shard < _keys.ExpiryShards && claimed.Count < limit; shard++)
            {
                var entries = (RedisResult[])(await db.ScriptEvaluateAsync(
                    RedisScripts.ClaimDue,
                    [_keys.ExpiryShard(shard), _keys.ClaimedShard(shard)],
                    [now.ToUnixTimeSeconds(), now.ToUnixTimeMilliseconds(), (long)lease.TotalMilliseconds, limit - claimed.Count]))!;
                claimed.AddRange(entries.Select(e => ParseClaim((string)e!)));
            }

            return claimed;
        }, cancellationToken);

    /// <inheritdoc />
    public ValueTask<bool> ExpireAsync(DueCredential due, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(due);
        return _resilience.ExecuteAsync(async ct =>
        {
            await EnqueueAsync(due.TaskId);
            return (int)await Db.ScriptEvaluateAsync(
                RedisScripts.ExpireCredential,
                [_keys.Credentials(due.TaskId), _keys.Pending(due.TaskId)],
                [due.Jti, now.ToUnixTimeMilliseconds()]) == 1;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public async ValueTask ReleaseAsync(IReadOnlyList<DueCredential> claimed, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(claimed);
        await _resilience.ExecuteAsync(async ct =>
        {
            var db = Db;
            await Task.WhenAll(claimed.Select(due => db.SortedSetRemoveAsync(
                _keys.ClaimedShardOf(due.TaskId), $"{RedisKeys.ExpiryMember(due.TaskId, due.Jti)}|{due.ExpiresAt.ToUnixTimeSeconds()}")));
            return true;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<RevocationWork>> TakeWorkAsync(string consumer, int count, TimeSpan reclaimAfter, CancellationToken cancellationToken) =>
        _resilience.ExecuteAsync<IReadOnlyList<RevocationWork>>(async ct =>
        {
            await EnsureGroupAsync();
            var db = Db;
            StreamAutoClaimResult reclaimed;
            try
            {
                reclaimed = await db.StreamAutoClaimAsync(_keys.Work, Group, consumer, (long)reclaimAfter.TotalMilliseconds, "0-0", count);
            }
            catch (RedisServerException ex) when (ex.Message.StartsWith("NOGROUP", StringComparison.Ordinal))
            {
                // Redis lost the stream (a restart without persistence): recreate the group; entries taken before are gone with it.
                _groupReady = false;
                await EnsureGroupAsync();
                reclaimed = await db.StreamAutoClaimAsync(_keys.Work, Group, consumer, (long)reclaimAfter.TotalMilliseconds, "0-0", count);
            }
            var entries = reclaimed.ClaimedEntries.Where(e => !e.IsNull).ToList();
            if (entries.Count < count)
            {
                entries.AddRange(await db.StreamReadGroupAsync(_keys.Work, Group, consumer, ">", count - entries.Count));
            }

            return [.. entries.Select(e => new RevocationWork(e.Id!, (string)e["task"]!, FromMilliseconds(e["at"])))];
        }, cancellationToken);

    /// <inheritdoc />
    public async ValueTask AckWorkAsync(IReadOnlyList<RevocationWork> work, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(work);
        if (work.Count == 0)
        {
            return;
        }

        RedisValue[] ids = [.. work.Select(w => (RedisValue)w.Id)];
        await _resilience.ExecuteAsync(async ct =>
        {
            var db = Db;
            await db.StreamAcknowledgeAsync(_keys.Work, Group, ids);
            return await db.StreamDeleteAsync(_keys.Work, ids);
        }, cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<CredentialRecord>> GetPendingAsync(string taskId, CancellationToken cancellationToken) =>
        _resilience.ExecuteAsync<IReadOnlyList<CredentialRecord>>(async ct =>
        {
            var db = Db;
            var jtis = await db.SetMembersAsync(_keys.Pending(taskId));
            var records = new List<CredentialRecord>(jtis.Length);
            foreach (var jti in jtis)
            {
                var values = await db.HashGetAsync(_keys.Credentials(taskId), MarkFields(jti!));
                if (!values[0].IsNull)
                {
                    records.Add(FromStored(taskId, jti!, values));
                }
            }

            return records;
        }, cancellationToken);

    /// <inheritdoc />
    public async ValueTask CompleteAsync(string taskId, string jti, DownstreamState outcome, DateTimeOffset? retryAt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        var json = JsonSerializer.Serialize(new StoredDownstream(
            outcome.RevokedAt?.ToUnixTimeMilliseconds(), outcome.VerifiedAt?.ToUnixTimeMilliseconds(), outcome.Attempts, outcome.Irrevocable, outcome.LastError, outcome.ResolvedBy),
            StoreJsonContext.Default.StoredDownstream);
        var member = RedisKeys.ExpiryMember(taskId, jti);
        await _resilience.ExecuteAsync(async ct =>
        {
            var db = Db;

            // An irrevocable credential is scheduled for its retry before it leaves the pending set, and a
            // finished one leaves the retry set only after its outcome is recorded: a crash in between repeats
            // an idempotent revocation rather than dropping one.
            if (outcome.Irrevocable && retryAt is { } at)
            {
                await db.SortedSetAddAsync(_keys.Retries, member, at.ToUnixTimeMilliseconds());
            }

            await db.ScriptEvaluateAsync(RedisScripts.CompleteDownstream, [_keys.Credentials(taskId), _keys.Pending(taskId)], [jti, json]);
            if (!outcome.Irrevocable)
            {
                await db.SortedSetRemoveAsync(_keys.Retries, member);
            }

            return true;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<(string TaskId, string Jti)>> ClaimRetriesAsync(DateTimeOffset now, int limit, TimeSpan lease, CancellationToken cancellationToken) =>
        _resilience.ExecuteAsync<IReadOnlyList<(string TaskId, string Jti)>>(async ct =>
        {
            var members = (RedisResult[])(await Db.ScriptEvaluateAsync(
                RedisScripts.ClaimRetries, [_keys.Retries], [now.ToUnixTimeMilliseconds(), (long)lease.TotalMilliseconds, limit]))!;
            return [.. members.Select(m => SplitMember((string)m!))];
        }, cancellationToken);

    /// <inheritdoc />
    public ValueTask<long> DepthAsync(CancellationToken cancellationToken) =>
        _resilience.ExecuteAsync(async ct => await Db.StreamLengthAsync(_keys.Work), cancellationToken);

    // Called inside a resilience-wrapped operation, before the script that records the revocation.
    private async Task EnqueueAsync(string taskId) =>
        await Db.StreamAddAsync(_keys.Work, [new NameValueEntry("task", taskId), new NameValueEntry("at", _time.GetUtcNow().ToUnixTimeMilliseconds())]);

    private async Task EnsureGroupAsync()
    {
        if (_groupReady)
        {
            return;
        }

        try
        {
            await Db.StreamCreateConsumerGroupAsync(_keys.Work, Group, "0-0", createStream: true);
        }
        catch (RedisServerException ex) when (ex.Message.StartsWith("BUSYGROUP", StringComparison.Ordinal))
        {
            // Another replica (or an earlier start) created it.
        }

        _groupReady = true;
    }

    private static DueCredential ParseClaim(string entry)
    {
        var bar = entry.LastIndexOf('|');
        var (taskId, jti) = SplitMember(entry[..bar]);
        return new DueCredential(taskId, jti, DateTimeOffset.FromUnixTimeSeconds(long.Parse(entry.AsSpan(bar + 1), CultureInfo.InvariantCulture)));
    }

    private static (string TaskId, string Jti) SplitMember(string member)
    {
        var slash = member.IndexOf('/', StringComparison.Ordinal);
        return (member[..slash], member[(slash + 1)..]);
    }
}
