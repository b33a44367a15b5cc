using System.Globalization;
using System.Text.Json;
using CredentialBroker.Abstractions;
using CredentialBroker.Abstractions.Storage;
using StackExchange.Redis;

namespace CredentialBroker.Redis;

/// <summary>
/// The revoker's durable work in Redis. Work is a stream (<c>cb:{work}:intents</c>) read through the consumer
/// group <c>revokers</c>: any replica takes entries; entries a replica took and never acknowledged are taken
/// over with XAUTOCLAIM. Each entry names a task whose pending set (<c>cb:{T}:pending</c>) holds the
/// credentials to deliver downstream. An entry is written before the script that records its revocation (the
/// stream and the task live in different hash slots); the script adds <c>@&lt;entry id&gt;</c> to the pending set,
/// and an entry without that marker is handed back rather than acknowledged until it has it or is a lease old.
/// The expiry index shards hand out due credentials under a lease.
/// </summary>
public sealed class RedisRevokerStore : IRevokerStore
{
    private readonly RedisContext _redis;

    /// <summary>Creates the store over the broker's Redis context.</summary>
    public RedisRevokerStore(RedisContext redis) => _redis = redis;

    private const string Group = "revokers";
    private volatile bool _groupReady;

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<DueCredential>> ClaimDueAsync(DateTimeOffset now, int limit, TimeSpan lease, CancellationToken cancellationToken) =>
        _redis.ExecuteAsync<IReadOnlyList<DueCredential>>(async ct =>
        {
            var db = _redis.Db;
            var claimed = new List<DueCredential>();
            for (var shard = 0; shard < _redis.Keys.ExpiryShards && claimed.Count < limit; shard++)
            {
                var entries = (RedisResult[])(await db.ScriptEvaluateAsync(
                    RedisScripts.ClaimDue,
                    [_redis.Keys.ExpiryShard(shard), _redis.Keys.ClaimedShard(shard)],
                    [now.ToUnixTimeSeconds(), now.ToUnixTimeMilliseconds(), (long)lease.TotalMilliseconds, limit - claimed.Count]))!;
                claimed.AddRange(entries.Select(e => ParseClaim((string)e!)));
            }

            return claimed;
        }, cancellationToken);

    /// <inheritdoc />
    public ValueTask<CredentialRecord?> ReadDueAsync(DueCredential due, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(due);
        return _redis.ExecuteAsync(async ct =>
        {
            var values = await _redis.Db.HashGetAsync(_redis.Keys.Credentials(due.TaskId), RedisRecords.MarkFields(due.Jti));
            if (values[0].IsNull || !values[1].IsNull || !values[2].IsNull)
            {
                return null;
            }

            var credential = RedisRecords.FromStored(due.TaskId, due.Jti, values);
            return credential.ExpiresAt > now ? null : credential with { ExpiryProcessedAt = now };
        }, cancellationToken);
    }

    /// <inheritdoc />
    public async ValueTask ReleaseAsync(IReadOnlyList<DueCredential> claimed, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(claimed);
        await _redis.ExecuteAsync(async ct =>
        {
            var db = _redis.Db;
            await Task.WhenAll(claimed.GroupBy(due => _redis.Keys.ClaimedShardOf(due.TaskId)).Select(shard => db.SortedSetRemoveAsync(
                shard.Key, [.. shard.Select(due => (RedisValue)$"{RedisKeys.ExpiryMember(due.TaskId, due.Jti)}|{due.ExpiresAt.ToUnixTimeSeconds()}")])));
            return true;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<RevocationWork>> TakeWorkAsync(string consumer, int count, TimeSpan reclaimAfter, CancellationToken cancellationToken) =>
        _redis.ExecuteAsync<IReadOnlyList<RevocationWork>>(async ct =>
        {
            await EnsureGroupAsync();
            var db = _redis.Db;
            StreamAutoClaimResult reclaimed;
            try
            {
                reclaimed = await db.StreamAutoClaimAsync(_redis.Keys.Work, Group, consumer, (long)reclaimAfter.TotalMilliseconds, "0-0", count);
            }
            catch (RedisServerException ex) when (ex.Message.StartsWith("NOGROUP", StringComparison.Ordinal))
            {
                // Redis lost the stream (a restart without persistence): recreate the group; entries taken before are gone with it.
                _groupReady = false;
                await EnsureGroupAsync();
                reclaimed = await db.StreamAutoClaimAsync(_redis.Keys.Work, Group, consumer, (long)reclaimAfter.TotalMilliseconds, "0-0", count);
            }
            var entries = reclaimed.ClaimedEntries.Where(e => !e.IsNull).ToList();
            if (entries.Count < count)
            {
                entries.AddRange(await db.StreamReadGroupAsync(_redis.Keys.Work, Group, consumer, ">", count - entries.Count));
            }

            if (entries.Count == 0)
            {
                return [];
            }

            // Recorded: the revoking script left its marker, or the entry is a lease old (its writer failed before recording).
            var serverTime = await ServerTimeMillisecondsAsync(db);
            var markers = await Task.WhenAll(entries.Select(e => db.SetContainsAsync(_redis.Keys.Pending((string)e["task"]!), Marker(e.Id!))));
            return [.. entries.Select((e, i) => new RevocationWork(
                e.Id!, (string)e["task"]!, RedisRecords.FromMilliseconds(e["at"]), markers[i] || serverTime - EntryMilliseconds(e.Id) >= (long)reclaimAfter.TotalMilliseconds))];
        }, cancellationToken);

    /// <inheritdoc />
    public async ValueTask DeferWorkAsync(IReadOnlyList<RevocationWork> work, TimeSpan reclaimAfter, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(work);
        if (work.Count == 0)
        {
            return;
        }

        // XCLAIM with IDLE makes the entries look a lease old, so the next XAUTOCLAIM of any replica takes them;
        // the consumer 'deferred' holds them meanwhile.
        await _redis.ExecuteAsync(async ct =>
        {
            object[] args = [_redis.Keys.Work, Group, "deferred", 0, .. work.Select(w => (object)w.Id), "IDLE", (long)reclaimAfter.TotalMilliseconds, "JUSTID"];
            await _redis.Db.ExecuteAsync("XCLAIM", args);
            return true;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public async ValueTask AckWorkAsync(IReadOnlyList<RevocationWork> work, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(work);
        if (work.Count == 0)
        {
            return;
        }

        RedisValue[] ids = [.. work.Select(w => (RedisValue)w.Id)];
        await _redis.ExecuteAsync(async ct =>
        {
            var db = _redis.Db;
            await db.StreamAcknowledgeAsync(_redis.Keys.Work, Group, ids);
            await db.StreamDeleteAsync(_redis.Keys.Work, ids);
            await Task.WhenAll(work.Select(w => db.SetRemoveAsync(_redis.Keys.Pending(w.TaskId), Marker(w.Id))));
            return true;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<CredentialRecord>> GetPendingAsync(string taskId, CancellationToken cancellationToken) =>
        _redis.ExecuteAsync<IReadOnlyList<CredentialRecord>>(async ct =>
        {
            var db = _redis.Db;
            var members = await db.SetMembersAsync(_redis.Keys.Pending(taskId));
            var records = new List<CredentialRecord>(members.Length);
            foreach (var jti in members.Where(m => !((string)m!).StartsWith('@')))
            {
                var values = await db.HashGetAsync(_redis.Keys.Credentials(taskId), RedisRecords.MarkFields(jti!));
                if (!values[0].IsNull)
                {
                    records.Add(RedisRecords.FromStored(taskId, jti!, values));
                }
            }

            return records;
        }, cancellationToken);

    /// <inheritdoc />
    public async ValueTask CompleteAsync(CredentialRecord credential, DownstreamState outcome, DateTimeOffset? retryAt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(credential);
        ArgumentNullException.ThrowIfNull(outcome);
        var (taskId, jti) = (credential.TaskId, credential.Jti);
        var expiredAt = credential.RevokedAt is null && credential.ExpiryProcessedAt is { } x ? (RedisValue)x.ToUnixTimeMilliseconds() : RedisValue.EmptyString;
        var wasScheduled = credential.Downstream?.Irrevocable == true;
        var json = JsonSerializer.Serialize(new StoredDownstream(
            outcome.RevokedAt?.ToUnixTimeMilliseconds(), outcome.VerifiedAt?.ToUnixTimeMilliseconds(), outcome.Attempts, outcome.Irrevocable, outcome.LastError, outcome.ResolvedBy),
            StoreJsonContext.Default.StoredDownstream);
        var member = RedisKeys.ExpiryMember(taskId, jti);
        await _redis.ExecuteAsync(async ct =>
        {
            var db = _redis.Db;

            // An irrevocable credential is scheduled for its retry before it leaves the pending set, and a
            // finished one leaves the retry set only after its outcome is recorded: a crash in between repeats
            // an idempotent revocation rather than dropping one.
            if (outcome.Irrevocable && retryAt is { } at)
            {
                await db.SortedSetAddAsync(_redis.Keys.Retries, member, at.ToUnixTimeMilliseconds());
            }

            await db.ScriptEvaluateAsync(RedisScripts.CompleteDownstream, [_redis.Keys.Credentials(taskId), _redis.Keys.Pending(taskId)], [jti, json, expiredAt]);
            if (!outcome.Irrevocable && wasScheduled)
            {
                await db.SortedSetRemoveAsync(_redis.Keys.Retries, member);
            }

            return true;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public async ValueTask DropRetryAsync(string taskId, string jti, CancellationToken cancellationToken) =>
        await _redis.ExecuteAsync(async ct => await _redis.Db.SortedSetRemoveAsync(_redis.Keys.Retries, RedisKeys.ExpiryMember(taskId, jti)), cancellationToken);

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<(string TaskId, string Jti)>> ClaimRetriesAsync(DateTimeOffset now, int limit, TimeSpan lease, CancellationToken cancellationToken) =>
        _redis.ExecuteAsync<IReadOnlyList<(string TaskId, string Jti)>>(async ct =>
        {
            var members = (RedisResult[])(await _redis.Db.ScriptEvaluateAsync(
                RedisScripts.ClaimRetries, [_redis.Keys.Retries], [now.ToUnixTimeMilliseconds(), (long)lease.TotalMilliseconds, limit]))!;
            return [.. members.Select(m => SplitMember((string)m!))];
        }, cancellationToken);

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<(string TaskId, string Jti)>> ClaimUnconfirmedAsync(DateTimeOffset now, int limit, TimeSpan lease, CancellationToken cancellationToken) =>
        _redis.ExecuteAsync<IReadOnlyList<(string TaskId, string Jti)>>(async ct =>
        {
            // The same claim as irrevocable retries: due members are pushed one lease further, so a claimer that dies loses none.
            var members = (RedisResult[])(await _redis.Db.ScriptEvaluateAsync(
                RedisScripts.ClaimRetries, [_redis.Keys.Issuing], [now.ToUnixTimeMilliseconds(), (long)lease.TotalMilliseconds, limit]))!;
            return [.. members.Select(m => SplitMember((string)m!))];
        }, cancellationToken);

    /// <inheritdoc />
    public async ValueTask ForgetIssuingAsync(string taskId, string jti, CancellationToken cancellationToken) =>
        await _redis.ExecuteAsync(async ct => await _redis.Db.SortedSetRemoveAsync(_redis.Keys.Issuing, RedisKeys.ExpiryMember(taskId, jti)), cancellationToken);

    /// <inheritdoc />
    public ValueTask<long> DepthAsync(CancellationToken cancellationToken) =>
        _redis.ExecuteAsync(async ct => await _redis.Db.StreamLengthAsync(_redis.Keys.Work), cancellationToken);

    // Called inside a resilience-wrapped operation, before the script that records the revocation; returns the entry id the script marks.
    internal static async Task<RedisValue> EnqueueAsync(RedisContext redis, string taskId) =>
        await redis.Db.StreamAddAsync(redis.Keys.Work, [new NameValueEntry("task", taskId), new NameValueEntry("at", redis.Time.GetUtcNow().ToUnixTimeMilliseconds())]);

    private static RedisValue Marker(string entryId) => "@" + entryId;

    // A stream entry id is '<unix ms on the Redis server>-<sequence>'.
    private static long EntryMilliseconds(RedisValue entryId)
    {
        var id = (string)entryId!;
        return long.Parse(id.AsSpan(0, id.IndexOf('-', StringComparison.Ordinal)), CultureInfo.InvariantCulture);
    }

    private static async Task<long> ServerTimeMillisecondsAsync(IDatabase db)
    {
        var time = (RedisResult[])(await db.ExecuteAsync("TIME"))!;
        return ((long)time[0] * 1000) + ((long)time[1] / 1000);
    }

    private async Task EnsureGroupAsync()
    {
        if (_groupReady)
        {
            return;
        }

        try
        {
            await _redis.Db.StreamCreateConsumerGroupAsync(_redis.Keys.Work, Group, "0-0", createStream: true);
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
