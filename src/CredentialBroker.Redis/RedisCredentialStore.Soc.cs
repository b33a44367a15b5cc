using System.Runtime.CompilerServices;
using System.Text.Json;
using CredentialBroker.Abstractions.Soc;
using CredentialBroker.Abstractions.Storage;
using CredentialBroker.Abstractions.Tasks;
using StackExchange.Redis;

namespace CredentialBroker.Redis;

/// <summary>
/// The SOC side of the Redis store. Every task and credential is entered, as it is recorded, in sorted-set indexes
/// (by holder, workflow, approval, approver, resource; one script call in the <c>{idx}</c> slot), so a selector's
/// tasks are read from its narrowest index and the cost follows the matches, not the fleet. Revocations, their
/// matches and incidents live in the <c>{soc}</c> slot.
/// </summary>
public sealed partial class RedisCredentialStore : ISocStore
{
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

        if (selector.DerivedFrom is not null)
        {
            var taskId = await _resilience.ExecuteAsync(async ct => (string?)await Db.StringGetAsync(_keys.CredentialTask(selector.DerivedFrom)), cancellationToken);
            if (taskId is not null)
            {
                yield return taskId;
            }

            yield break;
        }

        IEnumerable<RedisKey> indexes = selector switch
        {
            { WorkflowId: { } workflow } => [_keys.WorkflowIndex(workflow)],
            { ApprovalId: { } approval } => [_keys.ApprovalIndex(approval)],
            { Approver: { } approver } => [_keys.ApproverIndex(approver)],
            { Resource: { } resource } => [_keys.ResourceIndex(resource)],
            { Workload: { } workload } when !workload.EndsWith('/') => [_keys.HolderIndex(workload)],
            { Workload: { } prefix } => (await _resilience.ExecuteAsync(
                    async ct => await Db.SortedSetRangeByValueAsync(_keys.HoldersIndex, prefix, prefix + "\xff", Exclude.Stop), cancellationToken))
                .Select(h => _keys.HolderIndex((string)h!)),
            _ => [_keys.TasksIndex],
        };

        // Index scores are expiries: only tasks that can still hold a credential issued after issuedAfter, among
        // those whose records are kept.
        var floor = _time.GetUtcNow() - _options.RecordRetention;
        if (selector.IssuedAfter is { } after && after > floor)
        {
            floor = after;
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var index in indexes)
        {
            for (var skip = 0L; ; skip += PageSize)
            {
                var page = await _resilience.ExecuteAsync(
                    async ct => await Db.SortedSetRangeByScoreAsync(index, floor.ToUnixTimeMilliseconds(), double.PositiveInfinity, Exclude.None, Order.Ascending, skip, PageSize),
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

    /// <inheritdoc />
    public async ValueTask SaveRevocationAsync(BulkRevocation revocation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(revocation);
        var json = JsonSerializer.Serialize(revocation with { QuarantineLiftedAt = null, QuarantineLiftedBy = null }, StoreJsonContext.Default.BulkRevocation);
        await _resilience.ExecuteAsync(async ct =>
        {
            var db = Db;
            var save = db.StringSetAsync(_keys.Revocation(revocation.Id), json, _options.RecordRetention);
            var active = db.SortedSetAddAsync(_keys.ActiveRevocations, revocation.Id, revocation.RequestedAt.ToUnixTimeMilliseconds());
            await Task.WhenAll(save, active);
            return true;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public async ValueTask<BulkRevocation?> LiftQuarantineAsync(string id, DateTimeOffset at, string by, CancellationToken cancellationToken)
    {
        var lift = JsonSerializer.Serialize(new StoredLift(at, by), StoreJsonContext.Default.StoredLift);
        var exists = await _resilience.ExecuteAsync(async ct =>
        {
            var db = Db;
            if (!await db.KeyExistsAsync(_keys.Revocation(id)))
            {
                return false;
            }

            // SET NX: the first lift stands; it lives as long as the revocation it belongs to.
            await db.StringSetAsync(_keys.RevocationLift(id), lift, _options.RecordRetention, When.NotExists);
            return true;
        }, cancellationToken);
        return exists ? await GetRevocationAsync(id, cancellationToken) : null;
    }

    /// <inheritdoc />
    public ValueTask<BulkRevocation?> GetRevocationAsync(string id, CancellationToken cancellationToken) =>
        _resilience.ExecuteAsync(async ct =>
        {
            var values = await Db.StringGetAsync([_keys.Revocation(id), _keys.RevocationLift(id)]);
            return ReadRevocation(values[0], values[1]);
        }, cancellationToken);

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<BulkRevocation>> ListActiveRevocationsAsync(DateTimeOffset since, CancellationToken cancellationToken) =>
        _resilience.ExecuteAsync<IReadOnlyList<BulkRevocation>>(async ct =>
        {
            var db = Db;
            var ids = await db.SortedSetRangeByRankAsync(_keys.ActiveRevocations);
            if (ids.Length == 0)
            {
                return [];
            }

            // One MGET for every revocation and its lift (all in the {soc} slot).
            var values = await db.StringGetAsync([.. ids.SelectMany(id => new[] { _keys.Revocation((string)id!), _keys.RevocationLift((string)id!) })]);
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
                await db.SortedSetRemoveAsync(_keys.ActiveRevocations, [.. done]);
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
        await _resilience.ExecuteAsync(async ct =>
        {
            var db = Db;
            var key = _keys.RevocationMatches(revocationId);
            await Task.WhenAll(db.SetAddAsync(key, members), db.KeyExpireAsync(key, _options.RecordRetention));
            return true;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<CredentialRef>> ReadMatchesAsync(string revocationId, CancellationToken cancellationToken) =>
        _resilience.ExecuteAsync<IReadOnlyList<CredentialRef>>(async ct =>
        {
            var members = new List<CredentialRef>();
            await foreach (var member in Db.SetScanAsync(_keys.RevocationMatches(revocationId), pageSize: PageSize).WithCancellation(ct))
            {
                var text = (string)member!;
                var slash = text.IndexOf('/', StringComparison.Ordinal);
                members.Add(new CredentialRef(text[..slash], text[(slash + 1)..]));
            }

            return members;
        }, cancellationToken);

    /// <inheritdoc />
    public ValueTask<bool> TryLeaseAsync(string name, string owner, TimeSpan lease, CancellationToken cancellationToken) =>
        _resilience.ExecuteAsync(async ct =>
            (int)await Db.ScriptEvaluateAsync(RedisScripts.Lease, [_keys.Lease(name)], [owner, (long)lease.TotalMilliseconds]) == 1,
            cancellationToken);

    /// <inheritdoc />
    public async ValueTask SaveIncidentAsync(Incident incident, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(incident);
        var json = JsonSerializer.Serialize(incident with { RevocationIds = [] }, StoreJsonContext.Default.Incident);
        await _resilience.ExecuteAsync(async ct =>
        {
            var db = Db;
            await Task.WhenAll(
                db.StringSetAsync(_keys.Incident(incident.Id), json),
                db.SortedSetAddAsync(_keys.Incidents, incident.Id, incident.DeclaredAt.ToUnixTimeMilliseconds()));
            return true;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask<bool> LinkRevocationAsync(string incidentId, string revocationId, DateTimeOffset requestedAt, CancellationToken cancellationToken) =>
        _resilience.ExecuteAsync(async ct =>
        {
            var db = Db;
            if (!await db.KeyExistsAsync(_keys.Incident(incidentId)))
            {
                return false;
            }

            await db.SortedSetAddAsync(_keys.IncidentRevocations(incidentId), revocationId, requestedAt.ToUnixTimeMilliseconds());
            return true;
        }, cancellationToken);

    /// <inheritdoc />
    public ValueTask<Incident?> GetIncidentAsync(string id, CancellationToken cancellationToken) =>
        _resilience.ExecuteAsync(async ct =>
        {
            var db = Db;
            var json = db.StringGetAsync(_keys.Incident(id));
            var links = db.SortedSetRangeByRankAsync(_keys.IncidentRevocations(id));
            await Task.WhenAll(json, links);
            return ReadIncident(await json, await links);
        }, cancellationToken);

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<Incident>> ListIncidentsAsync(CancellationToken cancellationToken) =>
        _resilience.ExecuteAsync<IReadOnlyList<Incident>>(async ct =>
        {
            var db = Db;
            var ids = await db.SortedSetRangeByRankAsync(_keys.Incidents, order: Order.Descending);
            if (ids.Length == 0)
            {
                return [];
            }

            var values = db.StringGetAsync([.. ids.Select(id => _keys.Incident((string)id!))]);
            var links = ids.Select(id => db.SortedSetRangeByRankAsync(_keys.IncidentRevocations((string)id!))).ToArray();
            await Task.WhenAll([values, .. links]);
            var incidents = await values;
            return [.. incidents.Select((json, i) => ReadIncident(json, links[i].Result)).OfType<Incident>()];
        }, cancellationToken);

    private static Incident? ReadIncident(RedisValue json, RedisValue[] revocations) =>
        json.IsNull ? null : JsonSerializer.Deserialize((string)json!, StoreJsonContext.Default.Incident)! with { RevocationIds = [.. revocations.Select(r => (string)r!)] };

    /// <inheritdoc />
    public ValueTask<bool> RememberOnceAsync(string key, TimeSpan lifetime, CancellationToken cancellationToken) =>
        _resilience.ExecuteAsync(async ct => await Db.StringSetAsync(_keys.Remembered(key), 1, lifetime, When.NotExists), cancellationToken);

    /// <summary>Enters a task's first credential, or a derived credential, in the SOC indexes.</summary>
    private Task<RedisResult> IndexAsync(IDatabase db, CredentialRecord credential, TaskRecord? task)
    {
        List<RedisKey> keys = [_keys.HoldersIndex, _keys.HoldersKeepUntil, _keys.CredentialTask(credential.Jti), _keys.HolderIndex(credential.Holder)];
        if (credential.Audience is { } resource)
        {
            keys.Add(_keys.ResourceIndex(resource));
        }

        if (task is not null)
        {
            keys.Add(_keys.TasksIndex);
            keys.Add(_keys.WorkflowIndex(task.Workflow.Id));
            if (task.Approval is { } approval)
            {
                keys.Add(_keys.ApprovalIndex(approval.Id));
                keys.Add(_keys.ApproverIndex(approval.Approver));
            }
        }

        var expiry = (task?.ExpiresAt ?? credential.ExpiresAt).ToUnixTimeMilliseconds();
        var keepUntil = expiry + (long)_options.RecordRetention.TotalMilliseconds;
        var now = _time.GetUtcNow();
        var dropBelow = (now - _options.RecordRetention).ToUnixTimeMilliseconds();
        return db.ScriptEvaluateAsync(RedisScripts.Index, [.. keys], [credential.TaskId, expiry, keepUntil, credential.Holder, dropBelow, now.ToUnixTimeMilliseconds()]);
    }
}
