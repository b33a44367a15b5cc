using System.Globalization;
using System.Text.Json;
using CredentialBroker.Abstractions;
using CredentialBroker.Abstractions.Storage;
using StackExchange.Redis;

namespace CredentialBroker.Redis;

/// <summary>
/// The revoker's durable work in Redis. Work is a set of streams (<c>cb:{work:N}:intents</c>, a task's work always on
/// the shard of its id) read through the consumer group <c>revokers</c> of each: any replica takes entries from every
/// shard; entries a replica took and never acknowledged are taken over with XAUTOCLAIM. Each entry names a task whose
/// pending set (<c>cb:{T}:pending</c>) holds the credentials to deliver downstream. An entry is written before the
/// script that records its revocation (the stream and the task live in different hash slots); the script adds
/// <c>@&lt;shard&gt;/&lt;entry id&gt;</c> to the pending set, and an entry without that marker is handed back rather than
/// acknowledged until it has it or is a lease old. The expiry index shards hand out due credentials under a lease.
/// </summary>
public sealed class RedisRevokerStore : IRevokerStore
{
    private readonly RedisContext _redis;

    private const string Group = "revokers";
    private readonly bool[] _groupReady;
    private int _rotation;

    /// <summary>Creates the store over the broker's Redis context.</summary>
    public RedisRevokerStore(RedisContext redis)
    {
        ArgumentNullException.ThrowIfNull(redis);
        _redis = redis;
        _groupReady = new bool[redis.Keys.WorkShards];
    }

    /// <inheritdoc />
    /// <remarks>
    /// Every shard is asked at once for an equal share of <paramref name="limit"/>: one round trip however many shards there
    /// are. Due credentials spread evenly over the shards (by task id), and a shard with more due than its share keeps them
    /// for the next claim. (A limit below the number of shards asks shard after shard.)
    /// </remarks>
    public ValueTask<IReadOnlyList<DueCredential>> ClaimDueAsync(DateTimeOffset now, int limit, TimeSpan lease, CancellationToken cancellationToken) =>
        _redis.ExecuteAsync<IReadOnlyList<DueCredential>>(async ct =>
        {
            var db = _redis.Db;
            var shards = _redis.Keys.ExpiryShards;
            Task<RedisResult> Claim(int shard, int count) => db.ScriptEvaluateAsync(
                RedisScripts.ClaimDue,
                [_redis.Keys.ExpiryShard(shard), _redis.Keys.ClaimedShard(shard)],
                [now.ToUnixTimeSeconds(), now.ToUnixTimeMilliseconds(), (long)lease.TotalMilliseconds, count]);

            var claimed = new List<DueCredential>();
            if (limit < shards)
            {
                for (var shard = 0; shard < shards && claimed.Count < limit; shard++)
                {
                    claimed.AddRange(((RedisResult[])(await Claim(shard, limit - claimed.Count))!).Select(e => ParseClaim((string)e!)));
                }

                return claimed;
            }

            var claims = await Task.WhenAll(Enumerable.Range(0, shards).Select(shard => Claim(shard, limit / shards)));
            claimed.AddRange(claims.SelectMany(entries => ((RedisResult[])entries!).Select(e => ParseClaim((string)e!))));
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
    public ValueTask<IReadOnlyList<CredentialRecord>> ReadDueAsync(IReadOnlyList<DueCredential> due, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(due);
        return _redis.ExecuteAsync<IReadOnlyList<CredentialRecord>>(async ct =>
        {
            // Pipelined: every read is sent before the first answer is awaited.
            var db = _redis.Db;
            var reads = due.Select(d => db.HashGetAsync(_redis.Keys.Credentials(d.TaskId), RedisRecords.MarkFields(d.Jti))).ToArray();
            var values = await Task.WhenAll(reads);
            var expired = new List<CredentialRecord>(due.Count);
            for (var i = 0; i < due.Count; i++)
            {
                if (!values[i][0].IsNull && values[i][1].IsNull && values[i][2].IsNull)
                {
                    var credential = RedisRecords.FromStored(due[i].TaskId, due[i].Jti, values[i]);
                    if (credential.ExpiresAt <= now)
                    {
                        expired.Add(credential with { ExpiryProcessedAt = now });
                    }
                }
            }

            return expired;
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
            // Shard by shard until enough is taken, starting one shard further on every call, so that replicas draining
            // at once work on different streams (and primaries) and no shard waits behind a busy one.
            var shards = _redis.Keys.WorkShards;
            var first = (int)((uint)Interlocked.Increment(ref _rotation) % (uint)shards);
            var taken = new List<RevocationWork>();
            for (var i = 0; i < shards && taken.Count < count; i++)
            {
                taken.AddRange(await TakeFromShardAsync((first + i) % shards, consumer, count - taken.Count, reclaimAfter));
            }

            return taken;
        }, cancellationToken);

    private async Task<IReadOnlyList<RevocationWork>> TakeFromShardAsync(int shard, string consumer, int count, TimeSpan reclaimAfter)
    {
        var db = _redis.Db;
        var stream = _redis.Keys.Work(shard);
        await EnsureGroupAsync(shard);
        StreamAutoClaimResult reclaimed;
        try
        {
            reclaimed = await db.StreamAutoClaimAsync(stream, Group, consumer, (long)reclaimAfter.TotalMilliseconds, "0-0", count);
        }
        catch (RedisServerException ex) when (ex.Message.StartsWith("NOGROUP", StringComparison.Ordinal))
        {
            // Redis lost the stream (a restart without persistence): recreate the group; entries taken before are gone with it.
            Volatile.Write(ref _groupReady[shard], false);
            await EnsureGroupAsync(shard);
            reclaimed = await db.StreamAutoClaimAsync(stream, Group, consumer, (long)reclaimAfter.TotalMilliseconds, "0-0", count);
        }

        var entries = reclaimed.ClaimedEntries.Where(e => !e.IsNull).ToList();
        if (entries.Count < count)
        {
            entries.AddRange(await db.StreamReadGroupAsync(stream, Group, consumer, ">", count - entries.Count));
        }

        if (entries.Count == 0)
        {
            return [];
        }

        // Recorded: the revoking script left its marker (in every task's pending set of an entry at once: the first is asked),
        // or the entry is a lease old (its writer failed before recording). The entry's age is read on the clock of the node
        // that stamped its id.
        var ids = entries.Select(e => WorkId(shard, e.Id)).ToList();
        var markers = await Task.WhenAll(entries.Select((e, i) => db.SetContainsAsync(_redis.Keys.Pending((string)e["task"]!), Marker(ids[i]))));
        var serverTime = markers.All(m => m) ? 0 : await ServerTimeMillisecondsAsync(db, stream);
        return [.. entries.SelectMany((e, i) =>
        {
            var recorded = markers[i] || serverTime - EntryMilliseconds(e.Id) >= (long)reclaimAfter.TotalMilliseconds;
            var tasks = e["tasks"] is { IsNull: false } many ? ((string)many!).Split(' ') : [(string)e["task"]!];
            return tasks.Select(task => new RevocationWork(ids[i], task, RedisRecords.FromMilliseconds(e["at"]), recorded));
        })];
    }

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
            await Task.WhenAll(work.GroupBy(w => ParseWorkId(w.Id).Shard).Select(shard =>
            {
                object[] args = [_redis.Keys.Work(shard.Key), Group, "deferred", 0, .. shard.Select(w => w.Id).Distinct(StringComparer.Ordinal).Select(id => (object)ParseWorkId(id).EntryId), "IDLE", (long)reclaimAfter.TotalMilliseconds, "JUSTID"];
                return _redis.Db.ExecuteAsync("XCLAIM", args);
            }));
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

        await _redis.ExecuteAsync(async ct =>
        {
            var db = _redis.Db;
            await Task.WhenAll(work.GroupBy(w => ParseWorkId(w.Id).Shard).Select(async shard =>
            {
                RedisValue[] ids = [.. shard.Select(w => w.Id).Distinct(StringComparer.Ordinal).Select(id => ParseWorkId(id).EntryId)];
                await db.StreamAcknowledgeAsync(_redis.Keys.Work(shard.Key), Group, ids);
                await db.StreamDeleteAsync(_redis.Keys.Work(shard.Key), ids);
            }));
            await Task.WhenAll(work.Select(w => db.SetRemoveAsync(_redis.Keys.Pending(w.TaskId), Marker(w.Id))));
            return true;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<CredentialRecord>> GetPendingAsync(string taskId, CancellationToken cancellationToken) =>
        GetPendingAsync([taskId], cancellationToken);

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<CredentialRecord>> GetPendingAsync(IReadOnlyList<string> taskIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(taskIds);
        return _redis.ExecuteAsync<IReadOnlyList<CredentialRecord>>(async ct =>
        {
            // Two pipelined waves: every task's pending set, then every pending credential's fields.
            var db = _redis.Db;
            var members = await Task.WhenAll(taskIds.Select(taskId => db.SetMembersAsync(_redis.Keys.Pending(taskId))));
            var wanted = taskIds.SelectMany((taskId, i) => members[i].Select(m => (string)m!).Where(m => !m.StartsWith('@')).Select(jti => (TaskId: taskId, Jti: jti))).ToList();
            var values = await Task.WhenAll(wanted.Select(w => db.HashGetAsync(_redis.Keys.Credentials(w.TaskId), RedisRecords.MarkFields(w.Jti))));
            var records = new List<CredentialRecord>(wanted.Count);
            for (var i = 0; i < wanted.Count; i++)
            {
                if (!values[i][0].IsNull)
                {
                    records.Add(RedisRecords.FromStored(wanted[i].TaskId, wanted[i].Jti, values[i]));
                }
            }

            return records;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask CompleteAsync(CredentialRecord credential, DownstreamState outcome, DateTimeOffset? retryAt, CancellationToken cancellationToken) =>
        CompleteAsync([new DownstreamCompletion(credential, outcome, retryAt)], cancellationToken);

    /// <inheritdoc />
    /// <remarks>
    /// One script call per audit chain (a chain's tasks share a slot) and per <see cref="CompletionChunk"/> credentials, all
    /// sent at once; the retry schedule (another slot) is written before and after them, as for one credential.
    /// </remarks>
    public async ValueTask CompleteAsync(IReadOnlyList<DownstreamCompletion> completions, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(completions);
        if (completions.Count == 0)
        {
            return;
        }

        var prepared = completions.Select(c =>
        {
            ArgumentNullException.ThrowIfNull(c.Credential);
            ArgumentNullException.ThrowIfNull(c.Outcome);
            var (credential, outcome) = (c.Credential, c.Outcome);
            var expiredAt = credential.RevokedAt is null && credential.ExpiryProcessedAt is { } x ? (RedisValue)x.ToUnixTimeMilliseconds() : RedisValue.EmptyString;
            var json = JsonSerializer.Serialize(new StoredDownstream(
                outcome.RevokedAt?.ToUnixTimeMilliseconds(), outcome.VerifiedAt?.ToUnixTimeMilliseconds(), outcome.Attempts, outcome.Irrevocable, outcome.LastError, outcome.ResolvedBy),
                StoreJsonContext.Default.StoredDownstream);
            return (credential.TaskId, credential.Jti, Json: json, ExpiredAt: expiredAt, ReadSettled: credential.Downstream?.IsSettled == true ? "1" : "0",
                Member: RedisKeys.ExpiryMember(credential.TaskId, credential.Jti),
                Schedule: outcome.Irrevocable && c.RetryAt is not null ? c.RetryAt : null, Unschedule: !outcome.Irrevocable && credential.Downstream?.Irrevocable == true);
        }).ToList();
        var scheduled = prepared.Where(p => p.Schedule is not null).Select(p => new SortedSetEntry(p.Member, p.Schedule!.Value.ToUnixTimeMilliseconds())).ToArray();
        RedisValue[] unscheduled = [.. prepared.Where(p => p.Unschedule).Select(p => p.Member)];
        var touchesRetries = scheduled.Length > 0 || unscheduled.Length > 0 || completions.Any(c => c.Outcome.Irrevocable);

        // Confirmed like a revocation: work is acknowledged and claims released only after this, so an outcome lost
        // in a failover would otherwise leave its credential pending with no work left to finish it.
        await _redis.ExecuteDurableAsync(async (touched, ct) =>
        {
            var db = _redis.Db;
            if (touchesRetries)
            {
                touched.Add(_redis.Keys.Retries);
            }

            // An irrevocable credential is scheduled for its retry before it leaves the pending set, and a
            // finished one leaves the retry set only after its outcome is recorded: a crash in between repeats
            // an idempotent revocation rather than dropping one.
            if (scheduled.Length > 0)
            {
                await db.SortedSetAddAsync(_redis.Keys.Retries, scheduled);
            }

            var calls = new List<(Task<RedisResult> Call, RedisValue[] Members)>();
            foreach (var chain in prepared.GroupBy(p => _redis.Keys.ChainOf(p.TaskId)))
            {
                touched.Add(_redis.Keys.Credentials(chain.First().TaskId));
                foreach (var chunk in chain.Chunk(CompletionChunk))
                {
                    calls.Add((db.ScriptEvaluateAsync(
                        RedisScripts.CompleteDownstream,
                        [.. chunk.SelectMany(p => new[] { _redis.Keys.Credentials(p.TaskId), _redis.Keys.Pending(p.TaskId) })],
                        [.. chunk.SelectMany(p => new RedisValue[] { p.Jti, p.Json, p.ExpiredAt, p.ReadSettled })]), [.. chunk.Select(p => p.Member)]));
                }
            }

            await Task.WhenAll(calls.Select(c => c.Call));

            // An outcome that left a settled one standing (its caller had not read it) takes back the retry scheduled for it.
            RedisValue[] kept = [.. calls.SelectMany(c => ((int[])c.Call.Result!).Select(i => c.Members[i - 1]))];
            RedisValue[] dropped = [.. unscheduled, .. kept.Intersect(scheduled.Select(e => e.Element))];
            if (dropped.Length > 0)
            {
                await db.SortedSetRemoveAsync(_redis.Keys.Retries, dropped);
            }

            return true;
        }, cancellationToken);
    }

    /// <summary>How many outcomes one script call records at most: enough to save round trips, few enough to keep Redis responsive.</summary>
    internal const int CompletionChunk = 500;

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
        _redis.ExecuteAsync(async ct => (await Task.WhenAll(Enumerable.Range(0, _redis.Keys.WorkShards).Select(shard => _redis.Db.StreamLengthAsync(_redis.Keys.Work(shard))))).Sum(), cancellationToken);

    /// <summary>
    /// Announces revocation work for <paramref name="taskId"/> on its shard of the queue and returns the entry's id, which
    /// the recording script marks. Called inside a resilience-wrapped operation, before that script; the returned key is
    /// the stream's, for the caller to confirm with the rest of its writes.
    /// </summary>
    internal static Task<(RedisValue Id, RedisKey Stream)> EnqueueAsync(RedisContext redis, string taskId) => EnqueueAsync(redis, [taskId]);

    /// <summary>
    /// Announces revocation work for several tasks in one entry (<c>task</c>: the first, <c>tasks</c>: all, space-separated),
    /// on the shard of the first, for one script to record them all and mark each task's pending set with the entry's id.
    /// Taken, it yields one <see cref="RevocationWork"/> per task, all with the entry's id.
    /// </summary>
    internal static async Task<(RedisValue Id, RedisKey Stream)> EnqueueAsync(RedisContext redis, IReadOnlyList<string> taskIds)
    {
        var shard = redis.Keys.WorkShardOf(taskIds[0]);
        var stream = redis.Keys.Work(shard);
        NameValueEntry[] fields = taskIds.Count == 1
            ? [new("task", taskIds[0]), new("at", redis.Time.GetUtcNow().ToUnixTimeMilliseconds())]
            : [new("task", taskIds[0]), new("at", redis.Time.GetUtcNow().ToUnixTimeMilliseconds()), new("tasks", string.Join(' ', taskIds))];
        var entry = await redis.Db.StreamAddAsync(stream, fields);
        return (WorkId(shard, entry), stream);
    }

    private static RedisValue Marker(string workId) => "@" + workId;

    // A work id is '<shard>/<stream entry id>': entry ids are unique only within their stream.
    private static string WorkId(int shard, RedisValue entryId) => string.Create(CultureInfo.InvariantCulture, $"{shard}/{entryId}");

    private static (int Shard, RedisValue EntryId) ParseWorkId(string workId)
    {
        var slash = workId.IndexOf('/', StringComparison.Ordinal);
        return (int.Parse(workId.AsSpan(0, slash), CultureInfo.InvariantCulture), workId[(slash + 1)..]);
    }

    // A stream entry id is '<unix ms on the Redis server>-<sequence>'.
    private static long EntryMilliseconds(RedisValue entryId)
    {
        var id = (string)entryId!;
        return long.Parse(id.AsSpan(0, id.IndexOf('-', StringComparison.Ordinal)), CultureInfo.InvariantCulture);
    }

    // TIME on the node that holds the stream (a script routed by its key), whose clock stamped the entry ids.
    private static async Task<long> ServerTimeMillisecondsAsync(IDatabase db, RedisKey stream)
    {
        var time = (RedisResult[])(await db.ScriptEvaluateAsync(RedisScripts.Time, [stream]))!;
        return ((long)time[0] * 1000) + ((long)time[1] / 1000);
    }

    private async Task EnsureGroupAsync(int shard)
    {
        if (Volatile.Read(ref _groupReady[shard]))
        {
            return;
        }

        try
        {
            await _redis.Db.StreamCreateConsumerGroupAsync(_redis.Keys.Work(shard), Group, "0-0", createStream: true);
        }
        catch (RedisServerException ex) when (ex.Message.StartsWith("BUSYGROUP", StringComparison.Ordinal))
        {
            // Another replica (or an earlier start) created it.
        }

        Volatile.Write(ref _groupReady[shard], true);
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
