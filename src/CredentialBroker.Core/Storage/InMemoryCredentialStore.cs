using System.Collections.Concurrent;
using CredentialBroker.Core.Tasks;

namespace CredentialBroker.Core.Storage;

/// <summary>
/// The embedded store for development mode and single-node trials: everything in process memory, gone on
/// restart (like <c>vault server -dev</c>). It passes the same contract suite as the Redis store.
/// </summary>
public sealed class InMemoryCredentialStore : ICredentialStore
{
    private readonly ConcurrentDictionary<string, TaskEntry> _tasks = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, (IdempotencyRecord Record, DateTimeOffset ExpiresAt)> _idempotency = new(StringComparer.Ordinal);
    private readonly SortedSet<(DateTimeOffset ExpiresAt, string TaskId, string Jti)> _expiryIndex = [];
    private readonly TimeProvider _time;

    /// <summary>Creates an empty store.</summary>
    public InMemoryCredentialStore(TimeProvider time) => _time = time;

    /// <summary>How many credentials the expiry index holds.</summary>
    internal int ExpiryIndexCount
    {
        get
        {
            lock (_expiryIndex)
            {
                return _expiryIndex.Count;
            }
        }
    }

    /// <inheritdoc />
    public ValueTask<TaskCreation> CreateTaskAsync(TaskRecord task, CredentialRecord taskToken, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(taskToken);
        lock (_expiryIndex)
        {
            _expiryIndex.Add((taskToken.ExpiresAt, task.TaskId, taskToken.Jti));
        }

        var entry = _tasks.GetOrAdd(task.TaskId, static (_, state) => new TaskEntry(state.task, state.taskToken), (task, taskToken));
        lock (entry)
        {
            var stored = entry.Credentials[0];
            return ValueTask.FromResult(new TaskCreation(ReferenceEquals(stored, taskToken), entry.Task, stored));
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
    public ValueTask<TaskView?> GetTaskAsync(string taskId, CancellationToken cancellationToken)
    {
        if (!_tasks.TryGetValue(taskId, out var entry))
        {
            return ValueTask.FromResult<TaskView?>(null);
        }

        lock (entry)
        {
            return ValueTask.FromResult<TaskView?>(new TaskView(entry.Task, [.. entry.Credentials]));
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
            return ValueTask.FromResult(credential is null ? null : new CredentialLookup(credential, entry.Task));
        }
    }

    /// <inheritdoc />
    public ValueTask<CredentialAddition> AddCredentialAsync(CredentialRecord credential, IReadOnlyCollection<TaskState> openStates, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(credential);
        ArgumentNullException.ThrowIfNull(openStates);
        if (!_tasks.TryGetValue(credential.TaskId, out var entry))
        {
            return ValueTask.FromResult(CredentialAddition.TaskNotFound);
        }

        lock (_expiryIndex)
        {
            _expiryIndex.Add((credential.ExpiresAt, credential.TaskId, credential.Jti));
        }

        lock (entry)
        {
            if (!openStates.Contains(entry.Task.State))
            {
                return ValueTask.FromResult(CredentialAddition.TaskClosed);
            }

            var parent = credential.ParentJti is null ? null : entry.Find(credential.ParentJti);
            if (parent is null || parent.RevokedAt is not null || parent.ExpiresAt <= now)
            {
                return ValueTask.FromResult(CredentialAddition.ParentInactive);
            }

            if (entry.Find(credential.Jti) is null)
            {
                entry.Credentials.Add(credential);
            }

            return ValueTask.FromResult(CredentialAddition.Added);
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
                    revoked++;
                }
            }

            return ValueTask.FromResult(new StateChange(StateChangeOutcome.Changed, current, revoked));
        }
    }

    /// <inheritdoc />
    public ValueTask<int> RevokeSubtreeAsync(string taskId, string jti, DateTimeOffset at, string reason, CancellationToken cancellationToken)
    {
        if (!_tasks.TryGetValue(taskId, out var entry))
        {
            return ValueTask.FromResult(0);
        }

        lock (entry)
        {
            if (entry.Find(jti) is null)
            {
                return ValueTask.FromResult(0);
            }

            var revoked = 0;
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
                        revoked++;
                    }
                }
            }

            return ValueTask.FromResult(revoked);
        }
    }

    /// <inheritdoc />
    public ValueTask PingAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

    private sealed class TaskEntry(TaskRecord task, CredentialRecord taskToken)
    {
        public TaskRecord Task { get; set; } = task;

        public List<CredentialRecord> Credentials { get; } = [taskToken];

        public CredentialRecord? Find(string jti) => Credentials.Find(c => c.Jti == jti);
    }
}
