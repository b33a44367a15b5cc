using System.Runtime.CompilerServices;
using System.Text.Json;
using CredentialBroker.Abstractions.Soc;
using CredentialBroker.Abstractions.Storage;
using CredentialBroker.Abstractions.Tasks;
using StackExchange.Redis;

namespace CredentialBroker.Redis;

/// <summary>
/// The SOC side of the Redis store. Every task and credential is entered, as it is recorded, in sorted-set indexes
/// (by holder, workflow, approval, approver, resource; one script call in the <c>{idx:N}</c> slot of the task's shard),
/// so a selector's tasks are read from its narrowest index, in every shard, and the cost follows the matches, not the
/// fleet. Revocations and incidents live in the <c>{soc}</c> slot, a revocation's matches in a slot of their own.
/// </summary>
public sealed class RedisSocStore : ISocStore
{
    private readonly RedisContext _redis;

    /// <summary>Creates the store over the broker's Redis context.</summary>
    public RedisSocStore(RedisContext redis) => _redis = redis;

    private const int PageSize = 5000;

    /// <inheritdoc />
    public async IAsyncEnumerable<string> FindTaskIdsAsync(RevocationSelector selector, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(selector);
        if (selector.TaskId is not null)
        {
            yield return selector.TaskId;
            yield break;
        }

        var keys = _redis.Keys;
        var shards = Enumerable.Range(0, keys.IndexShards).ToList();
        if (selector.DerivedFrom is not null)
        {
            // The credential's task is recorded in that task's shard, which the jti does not tell: ask every shard at once.
            var found = await _redis.ExecuteAsync(
                async ct => await Task.WhenAll(shards.Select(shard => _redis.Db.StringGetAsync(keys.CredentialTask(shard, selector.DerivedFrom)))),
                cancellationToken);
            if (found.FirstOrDefault(v => !v.IsNull) is { IsNull: false } taskId)
            {
                yield return (string)taskId!;
            }

            yield break;
        }

        IEnumerable<RedisKey> indexes = selector switch
        {
            { WorkflowId: { } workflow } => shards.Select(shard => keys.WorkflowIndex(shard, workflow)),
            { ApprovalId: { } approval } => shards.Select(shard => keys.ApprovalIndex(shard, approval)),
            { Approver: { } approver } => shards.Select(shard => keys.ApproverIndex(shard, approver)),
            { Resource: { } resource } => shards.Select(shard => keys.ResourceIndex(shard, resource)),
            { Workload: { } workload } when !workload.EndsWith('/') => shards.Select(shard => keys.HolderIndex(shard, workload)),
            { Workload: { } prefix } => await HoldersWithPrefixAsync(prefix, cancellationToken),
            _ => shards.Select(keys.TasksIndex),
        };

        // Index scores are expiries: only tasks that can still hold a credential issued after issuedAfter, among
        // those whose records are kept. A task is in one shard only; several holders' indexes may name it.
        var floor = _redis.Time.GetUtcNow() - _redis.Broker.RecordRetention;
        if (selector.IssuedAfter is { } after && after > floor)
        {
            floor = after;
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var index in indexes)
        {
            for (var skip = 0L; ; skip += PageSize)
            {
                var page = await _redis.ExecuteAsync(
                    async ct => await _redis.Db.SortedSetRangeByScoreAsync(index, floor.ToUnixTimeMilliseconds(), double.PositiveInfinity, Exclude.None, Order.Ascending, skip, PageSize),
                    cancellationToken);
                foreach (var member in page)
                {
                    var taskId = (string)member!;
                    if (seen.Add(taskId))
                    {
                        yield return taskId;
                    }
                }

                if (page.Length < PageSize)
                {
                    break;
                }
            }
        }
    }

    // The holder indexes of every holder under a SPIFFE path prefix, shard by shard (each shard lists its own holders).
    private ValueTask<List<RedisKey>> HoldersWithPrefixAsync(string prefix, CancellationToken cancellationToken) =>
        _redis.ExecuteAsync(async ct =>
        {
            var keys = _redis.Keys;
            var holders = await Task.WhenAll(Enumerable.Range(0, keys.IndexShards).Select(shard =>
                _redis.Db.SortedSetRangeByValueAsync(keys.HoldersIndex(shard), prefix, prefix + "\xff", Exclude.Stop)));
            return holders.SelectMany((inShard, shard) => inShard.Select(holder => keys.HolderIndex(shard, (string)holder!))).ToList();
        }, cancellationToken);

    /// <inheritdoc />
    public async ValueTask SaveRevocationAsync(BulkRevocation revocation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(revocation);
        var json = JsonSerializer.Serialize(revocation with { QuarantineLiftedAt = null, QuarantineLiftedBy = null }, StoreJsonContext.Default.BulkRevocation);
        await _redis.ExecuteDurableAsync(async (touched, ct) =>
        {
            var db = _redis.Db;
            touched.Add(_redis.Keys.ActiveRevocations);
            var save = db.StringSetAsync(_redis.Keys.Revocation(revocation.Id), json, _redis.Broker.RecordRetention);
            var active = db.SortedSetAddAsync(_redis.Keys.ActiveRevocations, revocation.Id, revocation.RequestedAt.ToUnixTimeMilliseconds());
            await Task.WhenAll(save, active);
            return true;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public async ValueTask<BulkRevocation?> LiftQuarantineAsync(string id, DateTimeOffset at, string by, CancellationToken cancellationToken)
    {
        var lift = JsonSerializer.Serialize(new StoredLift(at, by), StoreJsonContext.Default.StoredLift);
        var exists = await _redis.ExecuteDurableAsync(async (touched, ct) =>
        {
            var db = _redis.Db;
            touched.Add(_redis.Keys.RevocationLift(id));
            if (!await db.KeyExistsAsync(_redis.Keys.Revocation(id)))
            {
                return false;
            }

            // SET NX: the first lift stands; it lives as long as the revocation it belongs to.
            await db.StringSetAsync(_redis.Keys.RevocationLift(id), lift, _redis.Broker.RecordRetention, When.NotExists);
            return true;
        }, cancellationToken);
        return exists ? await GetRevocationAsync(id, cancellationToken) : null;
    }

    /// <inheritdoc />
    public ValueTask<BulkRevocation?> GetRevocationAsync(string id, CancellationToken cancellationToken) =>
        _redis.ExecuteAsync(async ct =>
        {
            var values = await _redis.Db.StringGetAsync([_redis.Keys.Revocation(id), _redis.Keys.RevocationLift(id)]);
            return ReadRevocation(values[0], values[1]);
        }, cancellationToken);

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<BulkRevocation>> ListActiveRevocationsAsync(DateTimeOffset since, CancellationToken cancellationToken) =>
        _redis.ExecuteAsync<IReadOnlyList<BulkRevocation>>(async ct =>
        {
            var db = _redis.Db;
            var ids = await db.SortedSetRangeByRankAsync(_redis.Keys.ActiveRevocations);
            if (ids.Length == 0)
            {
                return [];
            }

            // One MGET for every revocation and its lift (all in the {soc} slot).
            var values = await db.StringGetAsync([.. ids.SelectMany(id => new[] { _redis.Keys.Revocation((string)id!), _redis.Keys.RevocationLift((string)id!) })]);
            var active = new List<BulkRevocation>();
            var done = new List<RedisValue>();
            for (var i = 0; i < ids.Length; i++)
            {
                var revocation = ReadRevocation(values[2 * i], values[(2 * i) + 1]);
                if (revocation is not null && (revocation.Status == BulkRevocationStatus.Running || revocation.Quarantining || revocation.RequestedAt > since))
                {
                    active.Add(revocation);
                }
                else
                {
                    done.Add(ids[i]);
                }
            }

            if (done.Count > 0)
            {
                await db.SortedSetRemoveAsync(_redis.Keys.ActiveRevocations, [.. done]);
            }

            return active;
        }, cancellationToken);

    private static BulkRevocation? ReadRevocation(RedisValue json, RedisValue lift)
    {
        if (json.IsNull)
        {
            return null;
        }

        var revocation = JsonSerializer.Deserialize((string)json!, StoreJsonContext.Default.BulkRevocation)!;
        if (lift.IsNull)
        {
            return revocation;
        }

        var lifted = JsonSerializer.Deserialize((string)lift!, StoreJsonContext.Default.StoredLift)!;
        return revocation with { QuarantineLiftedAt = lifted.At, QuarantineLiftedBy = lifted.By };
    }

    /// <inheritdoc />
    public async ValueTask AddMatchesAsync(string revocationId, IReadOnlyList<CredentialRef> matches, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(matches);
        if (matches.Count == 0)
        {
            return;
        }

        RedisValue[] members = [.. matches.Select(m => (RedisValue)RedisKeys.ExpiryMember(m.TaskId, m.Jti))];
        await _redis.ExecuteDurableAsync(async (touched, ct) =>
        {
            var db = _redis.Db;
            var key = _redis.Keys.RevocationMatches(revocationId);
            touched.Add(key);
            await Task.WhenAll(db.SetAddAsync(key, members), db.KeyExpireAsync(key, _redis.Broker.RecordRetention));
            return true;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<CredentialRef>> ReadMatchesAsync(string revocationId, CancellationToken cancellationToken) =>
        _redis.ExecuteAsync<IReadOnlyList<CredentialRef>>(async ct =>
        {
            var members = new List<CredentialRef>();
            await foreach (var member in _redis.Db.SetScanAsync(_redis.Keys.RevocationMatches(revocationId), pageSize: PageSize).WithCancellation(ct))
            {
                var text = (string)member!;
                var slash = text.IndexOf('/', StringComparison.Ordinal);
                members.Add(new CredentialRef(text[..slash], text[(slash + 1)..]));
            }

            return members;
        }, cancellationToken);

    /// <inheritdoc />
    public ValueTask<bool> TryLeaseAsync(string name, string owner, TimeSpan lease, CancellationToken cancellationToken) =>
        _redis.ExecuteAsync(async ct =>
            (int)await _redis.Db.ScriptEvaluateAsync(RedisScripts.Lease, [_redis.Keys.Lease(name)], [owner, (long)lease.TotalMilliseconds]) == 1,
            cancellationToken);

    /// <inheritdoc />
    public async ValueTask SaveIncidentAsync(Incident incident, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(incident);
        var json = JsonSerializer.Serialize(incident with { RevocationIds = [] }, StoreJsonContext.Default.Incident);
        await _redis.ExecuteDurableAsync(async (touched, ct) =>
        {
            var db = _redis.Db;
            touched.Add(_redis.Keys.Incidents);
            await Task.WhenAll(
                db.StringSetAsync(_redis.Keys.Incident(incident.Id), json),
                db.SortedSetAddAsync(_redis.Keys.Incidents, incident.Id, incident.DeclaredAt.ToUnixTimeMilliseconds()));
            return true;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask<bool> LinkRevocationAsync(string incidentId, string revocationId, DateTimeOffset requestedAt, CancellationToken cancellationToken) =>
        _redis.ExecuteDurableAsync(async (touched, ct) =>
        {
            var db = _redis.Db;
            touched.Add(_redis.Keys.Incidents);
            if (!await db.KeyExistsAsync(_redis.Keys.Incident(incidentId)))
            {
                return false;
            }

            await db.SortedSetAddAsync(_redis.Keys.IncidentRevocations(incidentId), revocationId, requestedAt.ToUnixTimeMilliseconds());
            return true;
        }, cancellationToken);

    /// <inheritdoc />
    public ValueTask<Incident?> GetIncidentAsync(string id, CancellationToken cancellationToken) =>
        _redis.ExecuteAsync(async ct =>
        {
            var db = _redis.Db;
            var json = db.StringGetAsync(_redis.Keys.Incident(id));
            var links = db.SortedSetRangeByRankAsync(_redis.Keys.IncidentRevocations(id));
            await Task.WhenAll(json, links);
            return ReadIncident(await json, await links);
        }, cancellationToken);

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<Incident>> ListIncidentsAsync(CancellationToken cancellationToken) =>
        _redis.ExecuteAsync<IReadOnlyList<Incident>>(async ct =>
        {
            var db = _redis.Db;
            var ids = await db.SortedSetRangeByRankAsync(_redis.Keys.Incidents, order: Order.Descending);
            if (ids.Length == 0)
            {
                return [];
            }

            var values = db.StringGetAsync([.. ids.Select(id => _redis.Keys.Incident((string)id!))]);
            var links = ids.Select(id => db.SortedSetRangeByRankAsync(_redis.Keys.IncidentRevocations((string)id!))).ToArray();
            await Task.WhenAll([values, .. links]);
            var incidents = await values;
            return [.. incidents.Select((json, i) => ReadIncident(json, links[i].Result)).OfType<Incident>()];
        }, cancellationToken);

    private static Incident? ReadIncident(RedisValue json, RedisValue[] revocations) =>
        json.IsNull ? null : JsonSerializer.Deserialize((string)json!, StoreJsonContext.Default.Incident)! with { RevocationIds = [.. revocations.Select(r => (string)r!)] };

    /// <inheritdoc />
    // Not confirmed on replicas: a mark lost in a failover lets the same event in once more, which starts another bulk
    // revocation of the same workloads, and revoking is idempotent.
    public ValueTask<bool> RememberOnceAsync(string key, TimeSpan lifetime, CancellationToken cancellationToken) =>
        _redis.ExecuteAsync(async ct => await _redis.Db.StringSetAsync(_redis.Keys.Remembered(key), 1, lifetime, When.NotExists), cancellationToken);

    /// <summary>Enters a task's first credential, or a derived credential, in the SOC indexes.</summary>
    internal static Task<RedisResult> IndexAsync(RedisContext redis, IDatabase db, CredentialRecord credential, TaskRecord? task)
    {
        var k = redis.Keys;
        var shard = k.IndexShardOf(credential.TaskId);
        List<RedisKey> keys = [k.HoldersIndex(shard), k.HoldersKeepUntil(shard), k.CredentialTask(shard, credential.Jti), k.HolderIndex(shard, credential.Holder)];
        if (credential.Audience is { } resource)
        {
            keys.Add(k.ResourceIndex(shard, resource));
        }

        if (task is not null)
        {
            keys.Add(k.TasksIndex(shard));
            keys.Add(k.WorkflowIndex(shard, task.Workflow.Id));
            if (task.Approval is { } approval)
            {
                keys.Add(k.ApprovalIndex(shard, approval.Id));
                keys.Add(k.ApproverIndex(shard, approval.Approver));
            }
        }

        var expiry = (task?.ExpiresAt ?? credential.ExpiresAt).ToUnixTimeMilliseconds();
        var keepUntil = expiry + (long)redis.Broker.RecordRetention.TotalMilliseconds;
        var now = redis.Time.GetUtcNow();
        var dropBelow = (now - redis.Broker.RecordRetention).ToUnixTimeMilliseconds();
        return db.ScriptEvaluateAsync(RedisScripts.Index, [.. keys], [credential.TaskId, expiry, keepUntil, credential.Holder, dropBelow, now.ToUnixTimeMilliseconds()]);
    }
}
