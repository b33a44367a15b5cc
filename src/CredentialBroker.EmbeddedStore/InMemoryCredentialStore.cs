using System.Collections.Concurrent;
using CredentialBroker.Abstractions;
using CredentialBroker.Abstractions.Audit;
using CredentialBroker.Abstractions.Storage;
using CredentialBroker.Abstractions.Tasks;
using Microsoft.Extensions.DependencyInjection;

namespace CredentialBroker.EmbeddedStore;

/// <summary>
/// The embedded store for development mode and single-node trials: everything in process memory, gone on
/// restart (like <c>vault server -dev</c>). It keeps the same contract as the Redis store — the tasks, the
/// expiry index and the revoker's work queue — and passes the same contract suite. Like Redis it forgets a task
/// <see cref="CredentialBrokerOptions.RecordRetention"/> after its deadline (and idempotency keys, replay memory and
/// revocations after theirs), so a long-running dev broker does not grow without bound.
/// </summary>
public sealed partial class InMemoryCredentialStore : ICredentialStore, IRevokerStore, IAuditLog
{
    private readonly ConcurrentDictionary<string, TaskEntry> _tasks = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, (IdempotencyRecord Record, DateTimeOffset ExpiresAt)> _idempotency = new(StringComparer.Ordinal);
    private readonly Lock _queues = new();
    private readonly SortedSet<(DateTimeOffset ExpiresAt, string TaskId, string Jti)> _expiryIndex = [];
    private readonly Dictionary<(string TaskId, string Jti), DateTimeOffset> _expiryClaims = [];
    private readonly List<WorkEntry> _work = [];
    private readonly SortedSet<(DateTimeOffset DueAt, string TaskId, string Jti)> _retries = [];
    private readonly SortedSet<(DateTimeOffset RetainUntil, string TaskId)> _retention = [];
    private readonly SortedSet<(DateTimeOffset Deadline, string TaskId, string Jti)> _issuing = [];
    private readonly TimeProvider _time;
    private readonly TimeSpan _recordRetention;
    private readonly int _maxCheckpoints;
    private long _workIds;

    /// <summary>Creates an empty store.</summary>
    public InMemoryCredentialStore([FromKeyedServices(BrokerTime.ServiceKey)] TimeProvider time, Microsoft.Extensions.Options.IOptions<CredentialBrokerOptions>? options = null)
    {
        _time = time;
        _recordRetention = options?.Value.RecordRetention ?? new CredentialBrokerOptions().RecordRetention;
        _maxCheckpoints = options?.Value.Audit.MaxCheckpoints ?? new AuditOptions().MaxCheckpoints;
    }

    /// <summary>How many credentials the expiry index holds.</summary>
    internal int ExpiryIndexCount
    {
        get
        {
            lock (_queues)
            {
                return _expiryIndex.Count;
            }
        }
    }

    /// <inheritdoc />
    public ValueTask<TaskCreation> CreateTaskAsync(TaskRecord task, CredentialRecord taskToken, AuditEvent audit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(taskToken);
        Prune();
        lock (_queues)
        {
            _expiryIndex.Add((taskToken.ExpiresAt, task.TaskId, taskToken.Jti));
            _retention.Add((task.ExpiresAt + _recordRetention, task.TaskId));
        }

        ArgumentNullException.ThrowIfNull(audit);
        var entry = _tasks.GetOrAdd(task.TaskId, static (_, state) => new TaskEntry(state.task, state.taskToken), (task, taskToken));
        lock (entry)
        {
            var stored = entry.Credentials[0];
            var created = ReferenceEquals(stored, taskToken) && !entry.Audited;
            if (created)
            {
                entry.Audited = true;
                Append(audit, task.TaskId);
                entry.Credentials[0] = stored = stored with { Status = AllocateStatus() };
            }

            return ValueTask.FromResult(new TaskCreation(created, entry.Task, stored));
        }
    }

    /// <inheritdoc />
    public ValueTask<IdempotencyRecord> ClaimIdempotencyKeyAsync(IdempotencyRecord candidate, TimeSpan lifetime, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        var now = _time.GetUtcNow();
        var stored = _idempotency.AddOrUpdate(
            candidate.Key,
            static (_, state) => (state.candidate, state.expiresAt),
            static (_, existing, state) => existing.ExpiresAt <= state.now ? (state.candidate, state.expiresAt) : existing,
            (candidate, expiresAt: now + lifetime, now));
        return ValueTask.FromResult(stored.Record);
    }

    /// <inheritdoc />
    public ValueTask<IdempotencyRecord?> FindIdempotencyKeyAsync(string key, CancellationToken cancellationToken) =>
        ValueTask.FromResult(_idempotency.TryGetValue(key, out var stored) && stored.ExpiresAt > _time.GetUtcNow() ? stored.Record : null);

    /// <inheritdoc />
    public ValueTask<TaskView?> GetTaskAsync(string taskId, CancellationToken cancellationToken)
    {
        if (!_tasks.TryGetValue(taskId, out var entry))
        {
            return ValueTask.FromResult<TaskView?>(null);
        }

        lock (entry)
        {
            return ValueTask.FromResult<TaskView?>(new TaskView(entry.Task, [.. entry.Credentials]) { Continuations = entry.Continuations });
        }
    }

    /// <inheritdoc />
    public ValueTask<CredentialLookup?> GetCredentialAsync(string taskId, string jti, CancellationToken cancellationToken)
    {
        if (!_tasks.TryGetValue(taskId, out var entry))
        {
            return ValueTask.FromResult<CredentialLookup?>(null);
        }

        lock (entry)
        {
            var credential = entry.Find(jti);
            return ValueTask.FromResult(credential is null ? null : new CredentialLookup(credential, entry.Task, entry.AncestorsOf(credential)));
        }
    }

    /// <inheritdoc />
    public ValueTask<CredentialAdditionResult> AddCredentialAsync(CredentialRecord credential, IReadOnlyCollection<TaskState> openStates, DateTimeOffset now, int maxPerTask, AuditEvent audit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(credential);
        ArgumentNullException.ThrowIfNull(openStates);
        if (!_tasks.TryGetValue(credential.TaskId, out var entry))
        {
            return ValueTask.FromResult(new CredentialAdditionResult(CredentialAddition.TaskNotFound));
        }

        lock (_queues)
        {
            _expiryIndex.Add((credential.ExpiresAt, credential.TaskId, credential.Jti));
        }

        lock (entry)
        {
            if (!openStates.Contains(entry.Task.State))
            {
                return ValueTask.FromResult(new CredentialAdditionResult(CredentialAddition.TaskClosed));
            }

            var parent = credential.ParentJti is null ? null : entry.Find(credential.ParentJti);
            if (parent is null || parent.RevokedAt is not null || parent.ExpiresAt <= now)
            {
                return ValueTask.FromResult(new CredentialAdditionResult(CredentialAddition.ParentInactive));
            }

            if (entry.Find(credential.Jti) is not { } stored)
            {
                if (entry.Credentials.Count >= maxPerTask)
                {
                    return ValueTask.FromResult(new CredentialAdditionResult(CredentialAddition.TaskFull));
                }

                // Downstream secrets are not tokens: no status list entry.
                stored = credential.Kind == CredentialKind.Secret ? credential : credential with { Status = AllocateStatus() };
                entry.Credentials.Add(stored);
                Append(audit, credential.TaskId);
            }

            return ValueTask.FromResult(new CredentialAdditionResult(CredentialAddition.Added, stored.Status));
        }
    }

    /// <inheritdoc />
    public ValueTask<StateChange> ChangeStateAsync(StateChangeRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!_tasks.TryGetValue(request.TaskId, out var entry))
        {
            return ValueTask.FromResult(new StateChange(StateChangeOutcome.NotFound, default, 0));
        }

        StateChange change;
        lock (entry)
        {
            var current = entry.Task.State;
            if (current == request.Target)
            {
                return ValueTask.FromResult(new StateChange(StateChangeOutcome.Unchanged, current, 0));
            }

            if (!request.AllowedSources.Contains(current))
            {
                return ValueTask.FromResult(new StateChange(StateChangeOutcome.Illegal, current, 0));
            }

            entry.Task = entry.Task with { State = request.Target, StateChangedAt = request.At, StateReason = request.Reason };
            var revoked = 0;
            for (var i = 0; i < entry.Credentials.Count; i++)
            {
                var credential = entry.Credentials[i];
                if (credential.RevokedAt is null && request.RevokeKinds.Contains(credential.Kind))
                {
                    entry.Credentials[i] = credential with { RevokedAt = request.At, RevocationReason = request.RevocationReason };
                    MarkRevoked(credential.Status);
                    entry.Pending.Add(credential.Jti);
                    revoked++;
                }
            }

            change = new StateChange(StateChangeOutcome.Changed, current, revoked);
            Append(request.Audit, request.TaskId);
        }

        if (change.Revoked > 0)
        {
            Enqueue(request.TaskId);
        }

        return ValueTask.FromResult(change);
    }

    /// <inheritdoc />
    public ValueTask<StateChange> ContinueTaskAsync(string taskId, CredentialRecord taskToken, IReadOnlyCollection<TaskState> fromStates, long expectedContinuations, DateTimeOffset at, AuditEvent audit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(taskToken);
        ArgumentNullException.ThrowIfNull(fromStates);
        ArgumentNullException.ThrowIfNull(audit);
        if (!_tasks.TryGetValue(taskId, out var entry))
        {
            return ValueTask.FromResult(new StateChange(StateChangeOutcome.NotFound, default, 0));
        }

        lock (entry)
        {
            var current = entry.Task.State;
            if (!fromStates.Contains(current))
            {
                return ValueTask.FromResult(new StateChange(StateChangeOutcome.Illegal, current, 0));
            }

            if (entry.Find(taskToken.Jti) is { } already)
            {
                // The same continuation again (a retry): it ran, and nothing is done twice.
                return ValueTask.FromResult(new StateChange(StateChangeOutcome.Changed, current, 0) { Recorded = already });
            }

            if (entry.Continuations != expectedContinuations)
            {
                return ValueTask.FromResult(new StateChange(StateChangeOutcome.Unchanged, current, 0));
            }

            entry.Continuations++;
            entry.Task = current == TaskState.AwaitingApproval
                ? entry.Task with { ExpiresAt = taskToken.ExpiresAt, State = TaskState.Running, StateChangedAt = at, StateReason = "continuation approved" }
                : entry.Task with { ExpiresAt = taskToken.ExpiresAt };
            var stored = taskToken with { Status = AllocateStatus() };
            entry.Credentials.Add(stored);

            Append(audit, taskId);
            lock (_queues)
            {
                _expiryIndex.Add((taskToken.ExpiresAt, taskId, taskToken.Jti));
                _retention.Add((taskToken.ExpiresAt + _recordRetention, taskId));
            }

            return ValueTask.FromResult(new StateChange(StateChangeOutcome.Changed, current, 0) { Recorded = stored });
        }
    }

    /// <inheritdoc />
    public ValueTask<int> RevokeSubtreeAsync(string taskId, string jti, DateTimeOffset at, string reason, AuditEvent audit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(audit);
        if (!_tasks.TryGetValue(taskId, out var entry))
        {
            return ValueTask.FromResult(0);
        }

        var revoked = 0;
        lock (entry)
        {
            if (entry.Find(jti) is null)
            {
                return ValueTask.FromResult(0);
            }

            Append(audit, taskId);
            var pending = new Queue<string>([jti]);
            while (pending.TryDequeue(out var next))
            {
                for (var i = 0; i < entry.Credentials.Count; i++)
                {
                    var credential = entry.Credentials[i];
                    var isRoot = credential.Jti == next && next == jti;
                    if (!isRoot && credential.ParentJti != next)
                    {
                        continue;
                    }

                    if (!isRoot)
                    {
                        pending.Enqueue(credential.Jti);
                    }

                    if (credential.RevokedAt is null)
                    {
                        entry.Credentials[i] = credential with { RevokedAt = at, RevocationReason = isRoot ? reason : RevocationReasons.Cascade };
                        MarkRevoked(credential.Status);
                        entry.Pending.Add(credential.Jti);
                        revoked++;
                    }
                }
            }
        }

        if (revoked > 0)
        {
            Enqueue(taskId);
        }

        return ValueTask.FromResult(revoked);
    }

    /// <inheritdoc />
    public ValueTask PingAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

    /// <inheritdoc />
    public ValueTask TrackIssuingAsync(CredentialRecord secret, DateTimeOffset deadline, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(secret);
        lock (_queues)
        {
            _issuing.RemoveWhere(i => i.TaskId == secret.TaskId && i.Jti == secret.Jti);
            _issuing.Add((deadline, secret.TaskId, secret.Jti));
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask<bool> ConfirmIssuedAsync(CredentialRecord secret, string? leaseId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(secret);
        var revoked = true;
        if (_tasks.TryGetValue(secret.TaskId, out var entry))
        {
            lock (entry)
            {
                var index = entry.Credentials.FindIndex(c => c.Jti == secret.Jti);
                if (index >= 0)
                {
                    var current = entry.Credentials[index];
                    if (leaseId is not null && current.Secret is { } reference)
                    {
                        entry.Credentials[index] = current with { Secret = reference with { LeaseId = leaseId } };
                    }

                    revoked = current.RevokedAt is not null;
                }
            }
        }

        lock (_queues)
        {
            _issuing.RemoveWhere(i => i.TaskId == secret.TaskId && i.Jti == secret.Jti);
            if (revoked)
            {
                _issuing.Add((now, secret.TaskId, secret.Jti));
            }
        }

        return ValueTask.FromResult(!revoked);
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<(string TaskId, string Jti)>> ClaimUnconfirmedAsync(DateTimeOffset now, int limit, TimeSpan lease, CancellationToken cancellationToken)
    {
        var claimed = new List<(DateTimeOffset, string TaskId, string Jti)>();
        lock (_queues)
        {
            claimed.AddRange(_issuing.TakeWhile(i => i.Deadline <= now).Take(limit));
            foreach (var entry in claimed)
            {
                _issuing.Remove(entry);
                _issuing.Add((now + lease, entry.TaskId, entry.Jti));
            }
        }

        return ValueTask.FromResult<IReadOnlyList<(string TaskId, string Jti)>>([.. claimed.Select(c => (c.TaskId, c.Jti))]);
    }

    /// <inheritdoc />
    public ValueTask ForgetIssuingAsync(string taskId, string jti, CancellationToken cancellationToken)
    {
        lock (_queues)
        {
            _issuing.RemoveWhere(i => i.TaskId == taskId && i.Jti == jti);
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<DueCredential>> ClaimDueAsync(DateTimeOffset now, int limit, TimeSpan lease, CancellationToken cancellationToken)
    {
        var claimed = new List<DueCredential>();
        lock (_queues)
        {
            foreach (var (expiresAt, taskId, jti) in _expiryIndex)
            {
                if (expiresAt > now || claimed.Count >= limit)
                {
                    break;
                }

                if (_expiryClaims.TryGetValue((taskId, jti), out var leaseUntil) && leaseUntil > now)
                {
                    continue;
                }

                _expiryClaims[(taskId, jti)] = now + lease;
                claimed.Add(new DueCredential(taskId, jti, expiresAt));
            }
        }

        return ValueTask.FromResult<IReadOnlyList<DueCredential>>(claimed);
    }

    /// <inheritdoc />
    public ValueTask<CredentialRecord?> ReadDueAsync(DueCredential due, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(due);
        if (!_tasks.TryGetValue(due.TaskId, out var entry))
        {
            return ValueTask.FromResult<CredentialRecord?>(null);
        }

        lock (entry)
        {
            var credential = entry.Credentials.Find(c => c.Jti == due.Jti);
            return ValueTask.FromResult(
                credential is null || credential.RevokedAt is not null || credential.ExpiryProcessedAt is not null || credential.ExpiresAt > now
                    ? null
                    : credential with { ExpiryProcessedAt = now });
        }
    }

    /// <inheritdoc />
    public ValueTask ReleaseAsync(IReadOnlyList<DueCredential> claimed, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(claimed);
        lock (_queues)
        {
            foreach (var due in claimed)
            {
                _expiryIndex.Remove((due.ExpiresAt, due.TaskId, due.Jti));
                _expiryClaims.Remove((due.TaskId, due.Jti));
            }
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<RevocationWork>> TakeWorkAsync(string consumer, int count, TimeSpan reclaimAfter, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        var taken = new List<RevocationWork>();
        lock (_queues)
        {
            foreach (var entry in _work)
            {
                if (taken.Count >= count)
                {
                    break;
                }

                if (entry.TakenBy is null || entry.TakenAt + reclaimAfter <= now)
                {
                    entry.TakenBy = consumer;
                    entry.TakenAt = now;
                    taken.Add(new RevocationWork(entry.Id, entry.TaskId, entry.EnqueuedAt));
                }
            }
        }

        return ValueTask.FromResult<IReadOnlyList<RevocationWork>>(taken);
    }

    /// <inheritdoc />
    /// <remarks>This store enqueues and records in one step, so its work is always recorded and nothing is deferred in practice.</remarks>
    public ValueTask DeferWorkAsync(IReadOnlyList<RevocationWork> work, TimeSpan reclaimAfter, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(work);
        var ids = work.Select(w => w.Id).ToHashSet(StringComparer.Ordinal);
        lock (_queues)
        {
            foreach (var entry in _work.Where(e => ids.Contains(e.Id)))
            {
                entry.TakenBy = null;
            }
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask AckWorkAsync(IReadOnlyList<RevocationWork> work, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(work);
        var ids = work.Select(w => w.Id).ToHashSet(StringComparer.Ordinal);
        lock (_queues)
        {
            _work.RemoveAll(e => ids.Contains(e.Id));
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<CredentialRecord>> GetPendingAsync(string taskId, CancellationToken cancellationToken)
    {
        if (!_tasks.TryGetValue(taskId, out var entry))
        {
            return ValueTask.FromResult<IReadOnlyList<CredentialRecord>>([]);
        }

        lock (entry)
        {
            return ValueTask.FromResult<IReadOnlyList<CredentialRecord>>([.. entry.Credentials.Where(c => entry.Pending.Contains(c.Jti))]);
        }
    }

    /// <inheritdoc />
    public ValueTask CompleteAsync(CredentialRecord credential, DownstreamState outcome, DateTimeOffset? retryAt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(credential);
        ArgumentNullException.ThrowIfNull(outcome);
        var (taskId, jti) = (credential.TaskId, credential.Jti);
        if (!_tasks.TryGetValue(taskId, out var entry))
        {
            return DropRetryAsync(taskId, jti, cancellationToken);
        }

        var recorded = outcome;
        lock (entry)
        {
            var index = entry.Credentials.FindIndex(c => c.Jti == jti);
            if (index >= 0)
            {
                var stored = entry.Credentials[index];
                var expiredAt = stored.ExpiryProcessedAt ?? (credential.RevokedAt is null ? credential.ExpiryProcessedAt : null);
                recorded = stored.Downstream is { IsSettled: true } current && credential.Downstream?.IsSettled != true ? current : outcome;
                entry.Credentials[index] = stored with { Downstream = recorded, ExpiryProcessedAt = expiredAt };
            }

            entry.Pending.Remove(jti);
        }

        lock (_queues)
        {
            _retries.RemoveWhere(r => r.TaskId == taskId && r.Jti == jti);
            if (recorded.Irrevocable && retryAt is { } at)
            {
                _retries.Add((at, taskId, jti));
            }
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask DropRetryAsync(string taskId, string jti, CancellationToken cancellationToken)
    {
        lock (_queues)
        {
            _retries.RemoveWhere(r => r.TaskId == taskId && r.Jti == jti);
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<(string TaskId, string Jti)>> ClaimRetriesAsync(DateTimeOffset now, int limit, TimeSpan lease, CancellationToken cancellationToken)
    {
        var claimed = new List<(DateTimeOffset, string TaskId, string Jti)>();
        lock (_queues)
        {
            claimed.AddRange(_retries.TakeWhile(r => r.DueAt <= now).Take(limit));
            foreach (var retry in claimed)
            {
                // The lease: the entry comes due again if the claimer never completes it.
                _retries.Remove(retry);
                _retries.Add((now + lease, retry.TaskId, retry.Jti));
            }
        }

        return ValueTask.FromResult<IReadOnlyList<(string TaskId, string Jti)>>([.. claimed.Select(c => (c.TaskId, c.Jti))]);
    }

    /// <inheritdoc />
    public ValueTask<long> DepthAsync(CancellationToken cancellationToken)
    {
        lock (_queues)
        {
            return ValueTask.FromResult((long)_work.Count);
        }
    }

    /// <summary>Forgets what has outlived its retention: tasks (with their index entries and work), and the SOC records.</summary>
    private void Prune()
    {
        var now = _time.GetUtcNow();
        List<string> forgotten = [];
        lock (_queues)
        {
            while (_retention.Count > 0 && _retention.Min.RetainUntil <= now)
            {
                var (retainUntil, taskId) = _retention.Min;
                _retention.Remove((retainUntil, taskId));

                // A continued task's deadline moved: its later retention entry forgets it.
                if (!_tasks.TryGetValue(taskId, out var entry) || entry.Task.ExpiresAt + _recordRetention <= now)
                {
                    forgotten.Add(taskId);
                }
            }

            if (forgotten.Count > 0)
            {
                var gone = forgotten.ToHashSet(StringComparer.Ordinal);
                _expiryIndex.RemoveWhere(e => gone.Contains(e.TaskId));
                _retries.RemoveWhere(r => gone.Contains(r.TaskId));
                _work.RemoveAll(w => gone.Contains(w.TaskId));
                foreach (var claim in _expiryClaims.Keys.Where(k => gone.Contains(k.TaskId)).ToList())
                {
                    _expiryClaims.Remove(claim);
                }
            }
        }

        foreach (var taskId in forgotten)
        {
            _tasks.TryRemove(taskId, out _);
            ForgetAuditIndex(taskId);
        }

        foreach (var (key, stored) in _idempotency)
        {
            if (stored.ExpiresAt <= now)
            {
                _idempotency.TryRemove(key, out _);
            }
        }

        PruneSoc(now);
        PruneProofs(now);
    }

    private void Enqueue(string taskId)
    {
        lock (_queues)
        {
            _work.Add(new WorkEntry((++_workIds).ToString(System.Globalization.CultureInfo.InvariantCulture), taskId, _time.GetUtcNowMilliseconds()));
        }
    }

    private sealed class TaskEntry(TaskRecord task, CredentialRecord taskToken)
    {
        public TaskRecord Task { get; set; } = task;

        /// <summary>Whether the task's creation event was appended (a concurrent duplicate creation must not append it twice).</summary>
        public bool Audited { get; set; }

        /// <summary>How many continuations the task has had (<see cref="TaskView.Continuations"/>).</summary>
        public long Continuations { get; set; }

        public List<CredentialRecord> Credentials { get; } = [taskToken];

        public HashSet<string> Pending { get; } = new(StringComparer.Ordinal);

        public CredentialRecord? Find(string jti) => Credentials.Find(c => c.Jti == jti);

        /// <summary>The credential's ancestors, the task token first.</summary>
        public List<CredentialRecord> AncestorsOf(CredentialRecord credential)
        {
            var ancestors = new List<CredentialRecord>();
            for (var parent = credential.ParentJti; parent is not null && Find(parent) is { } ancestor; parent = ancestor.ParentJti)
            {
                ancestors.Insert(0, ancestor);
            }

            return ancestors;
        }
    }

    private sealed class WorkEntry(string id, string taskId, DateTimeOffset enqueuedAt)
    {
        public string Id { get; } = id;

        public string TaskId { get; } = taskId;

        public DateTimeOffset EnqueuedAt { get; } = enqueuedAt;

        public string? TakenBy { get; set; }

        public DateTimeOffset TakenAt { get; set; }
    }
}
