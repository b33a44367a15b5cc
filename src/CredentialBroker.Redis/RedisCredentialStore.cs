using System.Globalization;
using System.Text.Json;
using CredentialBroker.Abstractions;
using CredentialBroker.Abstractions.Audit;
using CredentialBroker.Abstractions.Storage;
using CredentialBroker.Abstractions.Tasks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace CredentialBroker.Redis;

/// <summary>
/// Tasks and credentials in Redis, the single source of truth. Each task is two keys in one hash slot (the task hash
/// and its credentials hash), changed only by atomic Lua scripts; the expiry index is a set of sharded sorted sets.
/// Every call runs through the <see cref="RedisContext"/>, so a failure to reach Redis surfaces as
/// <see cref="StoreUnavailableException"/> and the broker fails closed.
/// </summary>
public sealed class RedisCredentialStore : ICredentialStore
{
    private readonly RedisContext _redis;

    /// <summary>Creates the store over the broker's Redis context.</summary>
    public RedisCredentialStore(RedisContext redis) => _redis = redis;

    // A delegation chain is at most CredentialBrokerOptions.MaxDelegationDepth (≤ 32) deep, plus an access token.
    private const int MaxChain = 34;

    /// <inheritdoc />
    public ValueTask<TaskCreation> CreateTaskAsync(TaskRecord task, CredentialRecord taskToken, AuditEvent audit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(taskToken);
        ArgumentNullException.ThrowIfNull(audit);
        var (auditKeys, auditArgs) = RedisAuditLog.Arguments(_redis, audit, task.TaskId);
        var spec = JsonSerializer.Serialize(RedisRecords.ToStored(task), StoreJsonContext.Default.StoredTaskSpec);
        var credential = CredentialCodec.Encode(taskToken);
        var retainUntil = (task.ExpiresAt + _redis.Broker.RecordRetention).ToUnixTimeMilliseconds();

        return _redis.ExecuteDurableAsync(async (touched, ct) =>
        {
            var db = _redis.Db;
            touched.AddRange(TaskKeys(task.TaskId));

            // The index entries go out with the record: a record without its expiry entry could outlive its TTL
            // unseen, one without its SOC entries escape a bulk revocation. All are awaited before anything is
            // signed; an orphaned index entry is harmless.
            var index = db.SortedSetAddAsync(_redis.Keys.ExpiryShardOf(task.TaskId), RedisKeys.ExpiryMember(task.TaskId, taskToken.Jti), taskToken.ExpiresAt.ToUnixTimeSeconds());
            var created = db.ScriptEvaluateAsync(
                RedisScripts.CreateTask,
                [_redis.Keys.Task(task.TaskId), _redis.Keys.Credentials(task.TaskId), .. auditKeys, StatusCounterOf(task.TaskId)],
                [spec, TaskStateMachine.ToWireName(task.State), task.StateChangedAt.ToUnixTimeMilliseconds(), task.CreatedBy,
                 task.CreatedAt.ToUnixTimeMilliseconds(), task.ExpiresAt.ToUnixTimeMilliseconds(), taskToken.Jti, credential, retainUntil, .. auditArgs,
                 StatusLists.Size]);
            var soc = RedisSocStore.IndexAsync(_redis, db, taskToken, task);
            await Task.WhenAll(index, created, soc);
            var status = await created;
            if (status.Resp2Type == ResultType.BulkString)
            {
                return new TaskCreation(true, task, taskToken with { Status = CredentialCodec.StatusOf((string)status!, taskToken.Jti) });
            }

            var existing = await ReadTaskAsync(db, task.TaskId)
                ?? throw new StoreUnavailableException($"Task {task.TaskId} vanished while being read.");
            return new TaskCreation(false, existing.Task, existing.Credentials[0]);
        }, cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask<IdempotencyRecord> ClaimIdempotencyKeyAsync(IdempotencyRecord candidate, TimeSpan lifetime, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        var json = JsonSerializer.Serialize(
            new StoredIdempotency(candidate.RequestHash, candidate.TaskId, candidate.Jti, candidate.IssuedAt.ToUnixTimeSeconds()),
            StoreJsonContext.Default.StoredIdempotency);
        return _redis.ExecuteDurableAsync(async (touched, ct) =>
        {
            // SET NX GET: claims the key, or returns what claimed it first, in one atomic command.
            var key = _redis.Keys.Idempotency(candidate.Key);
            var previous = await _redis.Db.StringSetAndGetAsync(key, json, lifetime, keepTtl: false, when: When.NotExists);
            var claim = previous.IsNull ? candidate : ReadIdempotency(candidate.Key, previous);
            touched.Add(key);
            if (!ReferenceEquals(claim, candidate))
            {
                // An earlier claim's task is about to be handed out again: its records must be as safe as a new task's.
                touched.AddRange(TaskKeys(claim.TaskId));
            }

            return claim;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask<IdempotencyRecord?> FindIdempotencyKeyAsync(string key, CancellationToken cancellationToken) =>
        _redis.ExecuteDurableAsync(async (touched, ct) =>
        {
            var stored = await _redis.Db.StringGetAsync(_redis.Keys.Idempotency(key));
            if (stored.IsNull)
            {
                return null;
            }

            // A found claim is replayed: its task is handed out again, so it is confirmed like a new one (an earlier
            // attempt may have recorded it and failed closed before its replicas confirmed it).
            var claim = ReadIdempotency(key, stored);
            touched.Add(_redis.Keys.Idempotency(key));
            touched.AddRange(TaskKeys(claim.TaskId));
            return claim;
        }, cancellationToken);

    private RedisKey StatusCounterOf(string taskId) => _redis.Keys.StatusCounter(_redis.Keys.ChainOf(taskId));

    private RedisValue StatusListPrefixOf(string taskId) => _redis.Keys.StatusListPrefix(_redis.Keys.ChainOf(taskId));

    // One key in each slot a task's creation writes: its records, its expiry shard, its SOC index shard.
    private RedisKey[] TaskKeys(string taskId) => [_redis.Keys.Task(taskId), _redis.Keys.ExpiryShardOf(taskId), _redis.Keys.TasksIndex(_redis.Keys.IndexShardOf(taskId))];

    private static IdempotencyRecord ReadIdempotency(string key, RedisValue json)
    {
        var stored = JsonSerializer.Deserialize((string)json!, StoreJsonContext.Default.StoredIdempotency)!;
        return new IdempotencyRecord(key, stored.RequestHash, stored.TaskId, stored.Jti, DateTimeOffset.FromUnixTimeSeconds(stored.IssuedAt));
    }

    /// <inheritdoc />
    public ValueTask<TaskView?> GetTaskAsync(string taskId, CancellationToken cancellationToken) =>
        _redis.ExecuteAsync(ct => ReadTaskAsync(_redis.Db, taskId), cancellationToken);

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<TaskView?>> GetTasksAsync(IReadOnlyList<string> taskIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(taskIds);
        return _redis.ExecuteAsync<IReadOnlyList<TaskView?>>(async ct => await Task.WhenAll(taskIds.Select(taskId => ReadTaskAsync(_redis.Db, taskId))), cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<CredentialRecord?>> GetCredentialRecordsAsync(IReadOnlyList<Abstractions.Soc.CredentialRef> credentials, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(credentials);
        return _redis.ExecuteAsync<IReadOnlyList<CredentialRecord?>>(async ct =>
        {
            var db = _redis.Db;
            var values = await Task.WhenAll(credentials.Select(c => db.HashGetAsync(_redis.Keys.Credentials(c.TaskId), RedisRecords.MarkFields(c.Jti))));
            return [.. values.Select((v, i) => v[0].IsNull ? null : RedisRecords.FromStored(credentials[i].TaskId, credentials[i].Jti, v))];
        }, cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask<CredentialLookup?> GetCredentialAsync(string taskId, string jti, CancellationToken cancellationToken) =>
        _redis.ExecuteAsync(async ct =>
        {
            var result = (RedisResult[])(await _redis.Db.ScriptEvaluateAsync(RedisScripts.Lookup, [_redis.Keys.Task(taskId), _redis.Keys.Credentials(taskId)], [jti, MaxChain]))!;
            if (result.Length == 0 || ((RedisResult[])result[1]!).Length == 0)
            {
                return null;
            }

            var fields = (RedisValue[])result[0]!;
            var task = RedisRecords.ReadTask(taskId, [.. Enumerable.Range(0, fields.Length / 2).Select(i => new HashEntry(fields[2 * i], fields[(2 * i) + 1]))]);
            if (task is null)
            {
                return null;
            }

            // The script walks from the credential up; the lookup lists ancestors from the task token down.
            var chain = ((RedisResult[])result[1]!).Select(r => (RedisValue[])r!).Select(v => RedisRecords.FromStored(taskId, v[0]!, v[1..])).Reverse().ToList();
            return new CredentialLookup(chain[^1], task, chain[..^1]);
        }, cancellationToken);

    /// <inheritdoc />
    public ValueTask<CredentialAdditionResult> AddCredentialAsync(CredentialRecord credential, IReadOnlyCollection<TaskState> openStates, DateTimeOffset now, int maxPerTask, AuditEvent audit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(credential);
        ArgumentNullException.ThrowIfNull(openStates);
        ArgumentNullException.ThrowIfNull(audit);
        var (auditKeys, auditArgs) = RedisAuditLog.Arguments(_redis, audit, credential.TaskId);
        var json = CredentialCodec.Encode(credential);
        return _redis.ExecuteDurableAsync(async (touched, ct) =>
        {
            var db = _redis.Db;
            touched.AddRange(TaskKeys(credential.TaskId));
            var index = db.SortedSetAddAsync(_redis.Keys.ExpiryShardOf(credential.TaskId), RedisKeys.ExpiryMember(credential.TaskId, credential.Jti), credential.ExpiresAt.ToUnixTimeSeconds());
            var added = db.ScriptEvaluateAsync(
                RedisScripts.AddCredential,
                [_redis.Keys.Task(credential.TaskId), _redis.Keys.Credentials(credential.TaskId), .. auditKeys, StatusCounterOf(credential.TaskId)],
                [credential.ParentJti ?? string.Empty, credential.Jti, json, now.ToUnixTimeMilliseconds(), string.Join(',', openStates.Select(TaskStateMachine.ToWireName)), maxPerTask, .. auditArgs,
                 StatusLists.Size]);
            var soc = RedisSocStore.IndexAsync(_redis, db, credential, null);
            await Task.WhenAll(index, added, soc);
            var result = (RedisResult[])(await added)!;
            var outcome = (string?)result[0] switch
            {
                "added" => CredentialAddition.Added,
                "task_not_found" => CredentialAddition.TaskNotFound,
                "task_closed" => CredentialAddition.TaskClosed,
                "task_full" => CredentialAddition.TaskFull,
                _ => CredentialAddition.ParentInactive,
            };
            return new CredentialAdditionResult(outcome, CredentialCodec.StatusOf((string)result[1]!, credential.Jti));
        }, cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask<StateChange> ChangeStateAsync(StateChangeRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var (auditKeys, auditArgs) = RedisAuditLog.Arguments(_redis, request.Audit, request.TaskId);
        return _redis.ExecuteDurableAsync(async (touched, ct) =>
        {
            // The work entry goes first: a revocation must never be recorded without the work that carries it downstream.
            var entry = RedisValue.EmptyString;
            if (request.RevokeKinds.Count > 0)
            {
                (entry, var stream) = await RedisRevokerStore.EnqueueAsync(_redis, request.TaskId);
                touched.Add(stream);
            }

            touched.Add(_redis.Keys.Task(request.TaskId));

            var result = (RedisResult[])(await _redis.Db.ScriptEvaluateAsync(
                RedisScripts.ChangeState,
                [_redis.Keys.Task(request.TaskId), _redis.Keys.Credentials(request.TaskId), _redis.Keys.Pending(request.TaskId), .. auditKeys],
                [TaskStateMachine.ToWireName(request.Target),
                 string.Join(',', request.AllowedSources.Select(TaskStateMachine.ToWireName)),
                 request.At.ToUnixTimeMilliseconds(),
                 request.Reason ?? string.Empty,
                 string.Join(',', request.RevokeKinds.Select(CredentialCodec.KindCode)),
                 request.RevocationReason,
                 entry,
                 .. auditArgs,
                 StatusListPrefixOf(request.TaskId)]))!;
            var outcome = (string)result[0]! switch
            {
                "ok" => StateChangeOutcome.Changed,
                "same" => StateChangeOutcome.Unchanged,
                "illegal" => StateChangeOutcome.Illegal,
                _ => StateChangeOutcome.NotFound,
            };
            var previous = outcome == StateChangeOutcome.NotFound ? default : RedisRecords.ParseState((string?)result[1]);
            return new StateChange(outcome, previous, (int)result[2]);
        }, cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask<StateChange> ContinueTaskAsync(string taskId, CredentialRecord taskToken, IReadOnlyCollection<TaskState> fromStates, long expectedContinuations, DateTimeOffset at, AuditEvent audit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(taskToken);
        ArgumentNullException.ThrowIfNull(fromStates);
        ArgumentNullException.ThrowIfNull(audit);
        var (auditKeys, auditArgs) = RedisAuditLog.Arguments(_redis, audit, taskId);
        var credential = CredentialCodec.Encode(taskToken);
        var retainUntil = (taskToken.ExpiresAt + _redis.Broker.RecordRetention).ToUnixTimeMilliseconds();
        return _redis.ExecuteDurableAsync(async (touched, ct) =>
        {
            var db = _redis.Db;
            touched.AddRange(TaskKeys(taskId));
            var index = db.SortedSetAddAsync(_redis.Keys.ExpiryShardOf(taskId), RedisKeys.ExpiryMember(taskId, taskToken.Jti), taskToken.ExpiresAt.ToUnixTimeSeconds());
            var continued = db.ScriptEvaluateAsync(
                RedisScripts.ContinueTask,
                [_redis.Keys.Task(taskId), _redis.Keys.Credentials(taskId), .. auditKeys, StatusCounterOf(taskId)],
                [string.Join(',', fromStates.Select(TaskStateMachine.ToWireName)), taskToken.ExpiresAt.ToUnixTimeMilliseconds(), at.ToUnixTimeMilliseconds(),
                 taskToken.Jti, credential, retainUntil, .. auditArgs, StatusLists.Size, expectedContinuations]);
            await Task.WhenAll(index, continued);
            var result = (RedisResult[])(await continued)!;
            var outcome = (string)result[0]! switch
            {
                "ok" => StateChangeOutcome.Changed,
                "moved" => StateChangeOutcome.Unchanged,
                "illegal" => StateChangeOutcome.Illegal,
                _ => StateChangeOutcome.NotFound,
            };
            if (outcome == StateChangeOutcome.Changed && await ReadTaskAsync(db, taskId) is { } view)
            {
                // The SOC indexes keep the task until its new deadline (plus retention), and know its new token.
                await RedisSocStore.IndexAsync(_redis, db, taskToken, view.Task);
            }

            return new StateChange(outcome, outcome == StateChangeOutcome.NotFound ? default : RedisRecords.ParseState((string?)result[1]), 0)
            {
                Recorded = outcome == StateChangeOutcome.Changed ? taskToken with { Status = CredentialCodec.StatusOf((string)result[2]!, taskToken.Jti) } : null,
            };
        }, cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask<int> RevokeSubtreeAsync(string taskId, string jti, DateTimeOffset at, string reason, AuditEvent audit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(audit);
        var (auditKeys, auditArgs) = RedisAuditLog.Arguments(_redis, audit, taskId);
        return _redis.ExecuteDurableAsync(async (touched, ct) =>
        {
            var (entry, stream) = await RedisRevokerStore.EnqueueAsync(_redis, taskId);
            touched.AddRange([stream, _redis.Keys.Credentials(taskId)]);
            return (int)await _redis.Db.ScriptEvaluateAsync(
                RedisScripts.RevokeSubtree,
                [_redis.Keys.Credentials(taskId), _redis.Keys.Pending(taskId), .. auditKeys],
                [jti, at.ToUnixTimeMilliseconds(), reason, entry, .. auditArgs, StatusListPrefixOf(taskId)]);
        }, cancellationToken);
    }

    /// <inheritdoc />
    /// <remarks>
    /// Subtrees are grouped by audit chain (a chain's tasks share a slot) into chunks of <see cref="SubtreeChunk"/>: per chunk
    /// one work entry naming all its tasks, then one script (<c>revoke_subtrees.lua</c>) revoking them all with their events.
    /// Every chunk's entry is written before any script, and the scripts all go out at once.
    /// </remarks>
    public ValueTask<int> RevokeSubtreesAsync(IReadOnlyList<SubtreeRevocation> revocations, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(revocations);
        var chunks = revocations.GroupBy(r => _redis.Keys.ChainOf(r.TaskId)).SelectMany(chain => chain.Chunk(SubtreeChunk)).ToList();
        if (chunks.Count == 0)
        {
            return ValueTask.FromResult(0);
        }

        return _redis.ExecuteDurableAsync(async (touched, ct) =>
        {
            var entries = await Task.WhenAll(chunks.Select(chunk => RedisRevokerStore.EnqueueAsync(_redis, [.. chunk.Select(r => r.TaskId).Distinct(StringComparer.Ordinal)])));
            var calls = chunks.Select((chunk, i) =>
            {
                var chain = _redis.Keys.ChainOf(chunk[0].TaskId);
                touched.AddRange([entries[i].Stream, _redis.Keys.Credentials(chunk[0].TaskId)]);
                var keys = new List<RedisKey> { _redis.Keys.AuditHead(chain), _redis.Keys.AuditLog(chain) };
                var args = new List<RedisValue> { chain, entries[i].Id, StatusListPrefixOf(chunk[0].TaskId) };
                foreach (var r in chunk)
                {
                    var (auditKeys, auditArgs) = RedisAuditLog.Arguments(_redis, r.Audit, r.TaskId);
                    keys.AddRange([_redis.Keys.Credentials(r.TaskId), _redis.Keys.Pending(r.TaskId), auditKeys[2]]);
                    args.AddRange([r.Jti, r.At.ToUnixTimeMilliseconds(), r.Reason, auditArgs[1], auditArgs[2], auditArgs[3], auditArgs[4]]);
                }

                return _redis.Db.ScriptEvaluateAsync(RedisScripts.RevokeSubtrees, [.. keys], [.. args]);
            }).ToList();
            return (await Task.WhenAll(calls)).Sum(r => (int)r);
        }, cancellationToken);
    }

    /// <summary>How many subtrees one script call and one work entry cover at most.</summary>
    internal const int SubtreeChunk = 200;

    /// <inheritdoc />
    public async ValueTask TrackIssuingAsync(CredentialRecord secret, DateTimeOffset deadline, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(secret);
        await _redis.ExecuteDurableAsync(async (touched, ct) =>
        {
            touched.Add(_redis.Keys.Issuing);
            return await _redis.Db.SortedSetAddAsync(_redis.Keys.Issuing, RedisKeys.ExpiryMember(secret.TaskId, secret.Jti), deadline.ToUnixTimeMilliseconds());
        }, cancellationToken);
    }

    /// <inheritdoc />
    public async ValueTask<bool> ConfirmIssuedAsync(CredentialRecord secret, string? leaseId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(secret);
        return await _redis.ExecuteDurableAsync(async (touched, ct) =>
        {
            var credentials = _redis.Keys.Credentials(secret.TaskId);
            var member = RedisKeys.ExpiryMember(secret.TaskId, secret.Jti);
            touched.AddRange([credentials, _redis.Keys.Issuing]);

            // In this order: the lease id, then the revocation mark. A revocation recorded after the read below is processed
            // after the secret exists; one recorded before it may have been processed before, so the secret is revoked again.
            if (leaseId is not null)
            {
                await _redis.Db.HashSetAsync(credentials, secret.Jti + ":l", leaseId);
            }

            if (await _redis.Db.HashExistsAsync(credentials, secret.Jti + ":r") || !await _redis.Db.HashExistsAsync(credentials, secret.Jti))
            {
                await _redis.Db.SortedSetAddAsync(_redis.Keys.Issuing, member, now.ToUnixTimeMilliseconds());
                return false;
            }

            await _redis.Db.SortedSetRemoveAsync(_redis.Keys.Issuing, member);
            return true;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public async ValueTask<DateTimeOffset?> ReadClockAsync(CancellationToken cancellationToken)
    {
        // TIME through a script that names a key, so a cluster asks one node (the one of task chain 0), the same each time.
        var time = await _redis.ExecuteAsync(async ct => (RedisResult[])(await _redis.Db.ScriptEvaluateAsync(RedisScripts.Time, [_redis.Keys.AuditLog(0)]).WaitAsync(ct))!, cancellationToken);
        return DateTimeOffset.FromUnixTimeMilliseconds(((long)time[0] * 1000) + ((long)time[1] / 1000));
    }

    /// <summary>
    /// One <c>PING</c> and <c>INFO memory</c> of every connected node, through the pipeline (an open circuit is not ready),
    /// bounded by <paramref name="cancellationToken"/> — a readiness probe's own deadline — rather than by the per-command
    /// timeout and retries. A node whose <c>maxmemory-policy</c> is not <c>noeviction</c> could evict a revocation record to
    /// make room, so the store refuses to be called ready.
    /// </summary>
    /// <exception cref="StoreUnavailableException">Redis did not answer, or a node could evict records (the message says which and why).</exception>
    public async ValueTask PingAsync(CancellationToken cancellationToken)
    {
        (System.Net.EndPoint EndPoint, string? Policy)[] policies;
        try
        {
            policies = await _redis.ExecuteAsync(async ct =>
            {
                await _redis.Db.PingAsync().WaitAsync(ct);
                var servers = _redis.Connection.GetServers().Where(s => s.IsConnected);
                return await Task.WhenAll(servers.Select(async s => (s.EndPoint, EvictionPolicy(await s.InfoAsync("memory"))))).WaitAsync(ct);
            }, cancellationToken);
        }
        catch (RedisServerException ex) when (ex.Message.StartsWith("NOPERM", StringComparison.Ordinal))
        {
            throw new StoreUnavailableException(
                "The broker's Redis user may not run INFO, so the broker cannot check that Redis never evicts its records " +
                "(maxmemory-policy noeviction); grant it +info.", ex);
        }

        if (policies.FirstOrDefault(p => !string.Equals(p.Policy, SafeEvictionPolicy, StringComparison.Ordinal)) is { EndPoint: not null } unsafeNode)
        {
            throw new StoreUnavailableException(
                $"Redis at {Format(unsafeNode.EndPoint)} has maxmemory-policy '{unsafeNode.Policy ?? "unknown"}': at maxmemory it could evict credential " +
                $"and revocation records, and a revocation Redis drops is a revocation lost. Set 'maxmemory-policy {SafeEvictionPolicy}' " +
                "(CONFIG SET maxmemory-policy noeviction, and in redis.conf); the broker stays unready until then.");
        }
    }

    // The only maxmemory-policy under which Redis never drops a record to make room.
    private const string SafeEvictionPolicy = "noeviction";

    private static string? EvictionPolicy(IGrouping<string, KeyValuePair<string, string>>[] info) =>
        info.SelectMany(g => g).Where(e => e.Key == "maxmemory_policy").Select(e => e.Value).FirstOrDefault();

    private static string Format(System.Net.EndPoint endPoint) => endPoint is System.Net.IPEndPoint ip ? ip.ToString() : endPoint.ToString() ?? "?";

    private async Task<TaskView?> ReadTaskAsync(IDatabase db, string taskId)
    {
        var taskEntries = db.HashGetAllAsync(_redis.Keys.Task(taskId));
        var credentialEntries = db.HashGetAllAsync(_redis.Keys.Credentials(taskId));
        await Task.WhenAll(taskEntries, credentialEntries);
        var task = RedisRecords.ReadTask(taskId, await taskEntries);
        if (task is null)
        {
            return null;
        }

        var continuations = (await taskEntries).FirstOrDefault(e => e.Name == "continuations").Value;

        var entries = (await credentialEntries).ToDictionary(e => e.Name.ToString(), e => e.Value, StringComparer.Ordinal);
        var credentials = entries
            .Where(e => !e.Key.Contains(':', StringComparison.Ordinal))
            .Select(e => RedisRecords.FromStored(taskId, e.Key, [e.Value, entries.GetValueOrDefault(e.Key + ":r"), entries.GetValueOrDefault(e.Key + ":x"), entries.GetValueOrDefault(e.Key + ":d"), entries.GetValueOrDefault(e.Key + ":l")]))
            .OrderBy(c => c.IssuedAt)
            .ThenBy(c => c.Depth)
            .ThenBy(c => c.Kind)
            .ThenBy(c => c.Jti, StringComparer.Ordinal)
            .ToList();
        return new TaskView(task, credentials) { Continuations = continuations.IsNull ? 0 : (long)continuations };
    }
}
