using System.Globalization;
using System.Text.Json;
using CredentialBroker.Abstractions;
using CredentialBroker.Abstractions.Storage;
using CredentialBroker.Abstractions.Tasks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace CredentialBroker.Redis;

/// <summary>
/// The production store: Redis as the single source of truth. Each task is two keys in one hash slot (the
/// task hash and its credentials hash), changed only by atomic Lua scripts; the expiry index is a set of
/// sharded sorted sets. Every call runs through <see cref="RedisResilience"/>, and any failure to reach
/// Redis surfaces as <see cref="StoreUnavailableException"/> so the broker fails closed.
/// </summary>
public sealed partial class RedisCredentialStore : ICredentialStore
{
    private readonly IConnectionMultiplexer _redis;
    private readonly RedisResilience _resilience;
    private readonly RedisKeys _keys;
    private readonly CredentialBrokerOptions _options;
    private readonly TimeProvider _time;

    /// <summary>Creates the store over an existing connection.</summary>
    public RedisCredentialStore(IConnectionMultiplexer redis, IOptions<RedisStoreOptions> storeOptions, IOptions<CredentialBrokerOptions> brokerOptions, [FromKeyedServices(BrokerTime.ServiceKey)] TimeProvider time)
    {
        _time = time;
        ArgumentNullException.ThrowIfNull(storeOptions);
        ArgumentNullException.ThrowIfNull(brokerOptions);
        _redis = redis;
        _resilience = new RedisResilience(storeOptions.Value);
        _keys = new RedisKeys(storeOptions.Value.KeyPrefix, storeOptions.Value.ExpiryIndexShards);
        _options = brokerOptions.Value;
    }

    // A delegation chain is at most CredentialBrokerOptions.MaxDelegationDepth (≤ 32) deep, plus an access token.
    private const int MaxChain = 34;

    private IDatabase Db => _redis.GetDatabase();

    /// <inheritdoc />
    public ValueTask<TaskCreation> CreateTaskAsync(TaskRecord task, CredentialRecord taskToken, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(taskToken);
        var spec = JsonSerializer.Serialize(ToStored(task), StoreJsonContext.Default.StoredTaskSpec);
        var credential = CredentialCodec.Encode(taskToken);
        var retainUntil = (task.ExpiresAt + _options.RecordRetention).ToUnixTimeMilliseconds();

        return _resilience.ExecuteAsync(async ct =>
        {
            var db = Db;

            // The index entries go out with the record: a record without its expiry entry could outlive its TTL
            // unseen, one without its SOC entries escape a bulk revocation. All are awaited before anything is
            // signed; an orphaned index entry is harmless.
            var index = db.SortedSetAddAsync(_keys.ExpiryShardOf(task.TaskId), RedisKeys.ExpiryMember(task.TaskId, taskToken.Jti), taskToken.ExpiresAt.ToUnixTimeSeconds());
            var created = db.ScriptEvaluateAsync(
                RedisScripts.CreateTask,
                [_keys.Task(task.TaskId), _keys.Credentials(task.TaskId)],
                [spec, TaskStateMachine.ToWireName(task.State), task.StateChangedAt.ToUnixTimeMilliseconds(), task.CreatedBy,
                 task.CreatedAt.ToUnixTimeMilliseconds(), task.ExpiresAt.ToUnixTimeMilliseconds(), taskToken.Jti, credential, retainUntil]);
            var soc = IndexAsync(db, taskToken, task);
            await Task.WhenAll(index, created, soc);
            if ((int)await created == 1)
            {
                return new TaskCreation(true, task, taskToken);
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
        return _resilience.ExecuteAsync(async ct =>
        {
            // SET NX GET: claims the key, or returns what claimed it first, in one atomic command.
            var previous = await Db.StringSetAndGetAsync(_keys.Idempotency(candidate.Key), json, lifetime, keepTtl: false, when: When.NotExists);
            return previous.IsNull ? candidate : ReadIdempotency(candidate.Key, previous);
        }, cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask<IdempotencyRecord?> FindIdempotencyKeyAsync(string key, CancellationToken cancellationToken) =>
        _resilience.ExecuteAsync(async ct =>
        {
            var stored = await Db.StringGetAsync(_keys.Idempotency(key));
            return stored.IsNull ? null : ReadIdempotency(key, stored);
        }, cancellationToken);

    private static IdempotencyRecord ReadIdempotency(string key, RedisValue json)
    {
        var stored = JsonSerializer.Deserialize((string)json!, StoreJsonContext.Default.StoredIdempotency)!;
        return new IdempotencyRecord(key, stored.RequestHash, stored.TaskId, stored.Jti, DateTimeOffset.FromUnixTimeSeconds(stored.IssuedAt));
    }

    /// <inheritdoc />
    public ValueTask<TaskView?> GetTaskAsync(string taskId, CancellationToken cancellationToken) =>
        _resilience.ExecuteAsync(ct => ReadTaskAsync(Db, taskId), cancellationToken);

    /// <inheritdoc />
    public ValueTask<CredentialLookup?> GetCredentialAsync(string taskId, string jti, CancellationToken cancellationToken) =>
        _resilience.ExecuteAsync(async ct =>
        {
            var result = (RedisResult[])(await Db.ScriptEvaluateAsync(RedisScripts.Lookup, [_keys.Task(taskId), _keys.Credentials(taskId)], [jti, MaxChain]))!;
            if (result.Length == 0 || ((RedisResult[])result[1]!).Length == 0)
            {
                return null;
            }

            var fields = (RedisValue[])result[0]!;
            var task = ReadTask(taskId, [.. Enumerable.Range(0, fields.Length / 2).Select(i => new HashEntry(fields[2 * i], fields[(2 * i) + 1]))]);
            if (task is null)
            {
                return null;
            }

            // The script walks from the credential up; the lookup lists ancestors from the task token down.
            var chain = ((RedisResult[])result[1]!).Select(r => (RedisValue[])r!).Select(v => FromStored(taskId, v[0]!, v[1..])).Reverse().ToList();
            return new CredentialLookup(chain[^1], task, chain[..^1]);
        }, cancellationToken);

    /// <inheritdoc />
    public ValueTask<CredentialAddition> AddCredentialAsync(CredentialRecord credential, IReadOnlyCollection<TaskState> openStates, DateTimeOffset now, int maxPerTask, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(credential);
        ArgumentNullException.ThrowIfNull(openStates);
        var json = CredentialCodec.Encode(credential);
        return _resilience.ExecuteAsync(async ct =>
        {
            var db = Db;
            var index = db.SortedSetAddAsync(_keys.ExpiryShardOf(credential.TaskId), RedisKeys.ExpiryMember(credential.TaskId, credential.Jti), credential.ExpiresAt.ToUnixTimeSeconds());
            var added = db.ScriptEvaluateAsync(
                RedisScripts.AddCredential,
                [_keys.Task(credential.TaskId), _keys.Credentials(credential.TaskId)],
                [credential.ParentJti ?? string.Empty, credential.Jti, json, now.ToUnixTimeMilliseconds(), string.Join(',', openStates.Select(TaskStateMachine.ToWireName)), maxPerTask]);
            var soc = IndexAsync(db, credential, null);
            await Task.WhenAll(index, added, soc);
            return (string?)await added switch
            {
                "added" => CredentialAddition.Added,
                "task_not_found" => CredentialAddition.TaskNotFound,
                "task_closed" => CredentialAddition.TaskClosed,
                "task_full" => CredentialAddition.TaskFull,
                _ => CredentialAddition.ParentInactive,
            };
        }, cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask<StateChange> ChangeStateAsync(StateChangeRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        return _resilience.ExecuteAsync(async ct =>
        {
            // The work entry goes first: a revocation must never be recorded without the work that carries it downstream.
            var entry = request.RevokeKinds.Count > 0 ? await EnqueueAsync(request.TaskId) : RedisValue.EmptyString;

            var result = (RedisResult[])(await Db.ScriptEvaluateAsync(
                RedisScripts.ChangeState,
                [_keys.Task(request.TaskId), _keys.Credentials(request.TaskId), _keys.Pending(request.TaskId)],
                [TaskStateMachine.ToWireName(request.Target),
                 string.Join(',', request.AllowedSources.Select(TaskStateMachine.ToWireName)),
                 request.At.ToUnixTimeMilliseconds(),
                 request.Reason ?? string.Empty,
                 string.Join(',', request.RevokeKinds.Select(CredentialCodec.KindCode)),
                 request.RevocationReason,
                 entry]))!;
            var outcome = (string)result[0]! switch
            {
                "ok" => StateChangeOutcome.Changed,
                "same" => StateChangeOutcome.Unchanged,
                "illegal" => StateChangeOutcome.Illegal,
                _ => StateChangeOutcome.NotFound,
            };
            var previous = outcome == StateChangeOutcome.NotFound ? default : ParseState((string?)result[1]);
            return new StateChange(outcome, previous, (int)result[2]);
        }, cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask<int> RevokeSubtreeAsync(string taskId, string jti, DateTimeOffset at, string reason, CancellationToken cancellationToken) =>
        _resilience.ExecuteAsync(async ct =>
        {
            var entry = await EnqueueAsync(taskId);
            return (int)await Db.ScriptEvaluateAsync(
                RedisScripts.RevokeSubtree,
                [_keys.Credentials(taskId), _keys.Pending(taskId)],
                [jti, at.ToUnixTimeMilliseconds(), reason, entry]);
        }, cancellationToken);

    /// <inheritdoc />
    public async ValueTask PingAsync(CancellationToken cancellationToken) =>
        await _resilience.ExecuteAsync(async ct => await Db.PingAsync(), cancellationToken);

    private async Task<TaskView?> ReadTaskAsync(IDatabase db, string taskId)
    {
        var taskEntries = db.HashGetAllAsync(_keys.Task(taskId));
        var credentialEntries = db.HashGetAllAsync(_keys.Credentials(taskId));
        await Task.WhenAll(taskEntries, credentialEntries);
        var task = ReadTask(taskId, await taskEntries);
        if (task is null)
        {
            return null;
        }

        var entries = (await credentialEntries).ToDictionary(e => e.Name.ToString(), e => e.Value, StringComparer.Ordinal);
        var credentials = entries
            .Where(e => !e.Key.Contains(':', StringComparison.Ordinal))
            .Select(e => FromStored(taskId, e.Key, [e.Value, entries.GetValueOrDefault(e.Key + ":r"), entries.GetValueOrDefault(e.Key + ":x"), entries.GetValueOrDefault(e.Key + ":d")]))
            .OrderBy(c => c.IssuedAt)
            .ThenBy(c => c.Depth)
            .ThenBy(c => c.Kind)
            .ThenBy(c => c.Jti, StringComparer.Ordinal)
            .ToList();
        return new TaskView(task, credentials);
    }

    private static TaskRecord? ReadTask(string taskId, HashEntry[] entries)
    {
        var fields = entries.ToDictionary(e => e.Name.ToString(), e => e.Value, StringComparer.Ordinal);
        if (fields.Count == 0)
        {
            return null;
        }

        var spec = JsonSerializer.Deserialize((string)fields["spec"]!, StoreJsonContext.Default.StoredTaskSpec)!;
        var state = ParseState(fields["state"]);
        var reason = (string?)fields["stateReason"];
        var task = new TaskRecord(
            taskId,
            spec.Agent,
            new WorkflowRef(spec.Workflow.Id, spec.Workflow.Designer, spec.Workflow.Version),
            [.. spec.Authorization.Select(g => new AuthorizationGrant(g.Tool, g.Destination, g.Actions, g.DataClass))],
            spec.Approval is { } a ? new TaskApproval(a.Id, a.Approver, a.ApprovedAt) : null,
            spec.Origin is { } o ? new TaskOrigin(o.PromptId, o.PromptSha256, o.RequestedBy) : null,
            spec.MaxDelegationDepth,
            spec.MayAct ?? [],
            fields["createdBy"]!,
            FromMilliseconds(fields["createdAt"]),
            FromMilliseconds(fields["expiresAt"]),
            state,
            FromMilliseconds(fields["stateAt"]),
            string.IsNullOrEmpty(reason) ? null : reason);
        return task;
    }

    /// <summary>The fields of one credential: its record and its revoked, expiry-processed and downstream marks.</summary>
    private static RedisValue[] MarkFields(string jti) => [jti, jti + ":r", jti + ":x", jti + ":d"];

    /// <summary>A credential from its <see cref="MarkFields"/> values.</summary>
    private static CredentialRecord FromStored(string taskId, string jti, RedisValue[] values)
    {
        var stored = CredentialCodec.Decode(taskId, jti, (string)values[0]!);
        DateTimeOffset? revokedAt = null;
        string? reason = null;
        if (!values[1].IsNullOrEmpty)
        {
            var mark = (string)values[1]!;
            var bar = mark.IndexOf('|', StringComparison.Ordinal);
            revokedAt = DateTimeOffset.FromUnixTimeMilliseconds(long.Parse(mark.AsSpan(0, bar), CultureInfo.InvariantCulture));
            reason = mark[(bar + 1)..];
        }

        DateTimeOffset? expiryProcessedAt = values[2].IsNullOrEmpty ? null : FromMilliseconds(values[2]);
        DownstreamState? downstream = null;
        if (!values[3].IsNullOrEmpty)
        {
            var d = JsonSerializer.Deserialize((string)values[3]!, StoreJsonContext.Default.StoredDownstream)!;
            downstream = new DownstreamState(
                d.At is { } at ? DateTimeOffset.FromUnixTimeMilliseconds(at) : null,
                d.Verified is { } verified ? DateTimeOffset.FromUnixTimeMilliseconds(verified) : null,
                d.Attempts, d.Irrevocable, d.Error, d.ResolvedBy);
        }

        return stored with { RevokedAt = revokedAt, RevocationReason = reason, ExpiryProcessedAt = expiryProcessedAt, Downstream = downstream };
    }

    private static TaskState ParseState(string? value) =>
        TaskStateMachine.TryParseWireName(value, out var state) ? state : throw new InvalidDataException($"The store holds the unknown task state '{value}'.");

    private static DateTimeOffset FromMilliseconds(RedisValue value) => DateTimeOffset.FromUnixTimeMilliseconds((long)value);

    private static StoredTaskSpec ToStored(TaskRecord task) => new(
        task.Agent,
        new StoredWorkflow(task.Workflow.Id, task.Workflow.Designer, task.Workflow.Version),
        [.. task.Authorization.Select(g => new StoredGrant(g.Tool, g.Destination, g.Actions, g.DataClass))],
        task.Approval is { } a ? new StoredApproval(a.Id, a.Approver, a.ApprovedAt) : null,
        task.Origin is { } o ? new StoredOrigin(o.PromptId, o.PromptSha256, o.RequestedBy) : null,
        task.MaxDelegationDepth,
        task.MayAct.Count == 0 ? null : task.MayAct);
}
