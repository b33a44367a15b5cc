namespace CredentialBroker.Abstractions.Storage;

/// <summary>
/// Where tasks and credentials live: the single source of truth. Every method is atomic for one task,
/// and every write is idempotent, so callers may retry. A store that cannot answer throws
/// <see cref="StoreUnavailableException"/>; the broker then fails closed.
/// </summary>
public interface ICredentialStore
{
    /// <summary>
    /// Records a new task and its task token, unless a task with that id exists; either way returns what is
    /// stored. Also enters the token in the expiry index. A new task's <paramref name="audit"/> event is appended in the same
    /// atomic step: no task exists without it.
    /// </summary>
    ValueTask<TaskCreation> CreateTaskAsync(Tasks.TaskRecord task, CredentialRecord taskToken, Audit.AuditEvent audit, CancellationToken cancellationToken);

    /// <summary>
    /// Remembers <paramref name="candidate"/> under its key for <paramref name="lifetime"/> unless the key is
    /// already taken; returns the record stored under the key (the candidate, or the earlier one).
    /// </summary>
    ValueTask<IdempotencyRecord> ClaimIdempotencyKeyAsync(IdempotencyRecord candidate, TimeSpan lifetime, CancellationToken cancellationToken);

    /// <summary>The record stored under an idempotency key, or <see langword="null"/> when the key is free.</summary>
    ValueTask<IdempotencyRecord?> FindIdempotencyKeyAsync(string key, CancellationToken cancellationToken);

    /// <summary>The task and all its credentials, or <see langword="null"/> when there is no such task.</summary>
    ValueTask<TaskView?> GetTaskAsync(string taskId, CancellationToken cancellationToken);

    /// <summary>
    /// <see cref="GetTaskAsync"/> for many tasks at once (a store reads them in one round trip); in the order asked, with
    /// <see langword="null"/> for a task that does not exist.
    /// </summary>
    async ValueTask<IReadOnlyList<TaskView?>> GetTasksAsync(IReadOnlyList<string> taskIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(taskIds);
        var views = new List<TaskView?>(taskIds.Count);
        foreach (var taskId in taskIds)
        {
            views.Add(await GetTaskAsync(taskId, cancellationToken));
        }

        return views;
    }

    /// <summary>
    /// Credentials' own records (revocation and downstream marks included, without their tasks), many at once (a store
    /// reads them in one round trip); in the order asked, with <see langword="null"/> for a credential that does not exist.
    /// </summary>
    async ValueTask<IReadOnlyList<CredentialRecord?>> GetCredentialRecordsAsync(IReadOnlyList<Soc.CredentialRef> credentials, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(credentials);
        var records = new List<CredentialRecord?>(credentials.Count);
        foreach (var credential in credentials)
        {
            records.Add((await GetCredentialAsync(credential.TaskId, credential.Jti, cancellationToken))?.Credential);
        }

        return records;
    }

    /// <summary>One credential with the facts about its task that decisions need, or <see langword="null"/>.</summary>
    ValueTask<CredentialLookup?> GetCredentialAsync(string taskId, string jti, CancellationToken cancellationToken);

    /// <summary>
    /// Records a credential derived from <see cref="CredentialRecord.ParentJti"/>, in one atomic step that
    /// also checks that the task is in one of <paramref name="openStates"/>, that the parent is neither
    /// revoked nor expired at <paramref name="now"/>, and that the task holds fewer than <paramref name="maxPerTask"/>
    /// credentials. Because subtree revocation is atomic too, a credential minted while its ancestor is being revoked
    /// is either refused here or revoked with the subtree. Also enters the credential in the expiry index. A recorded
    /// credential's <paramref name="audit"/> event is appended in the same atomic step: no credential exists without it.
    /// </summary>
    ValueTask<CredentialAdditionResult> AddCredentialAsync(CredentialRecord credential, IReadOnlyCollection<Tasks.TaskState> openStates, DateTimeOffset now, int maxPerTask, Audit.AuditEvent audit, CancellationToken cancellationToken);

    /// <summary>
    /// Moves a task to a new state if its current state allows it, revoking the requested credential kinds and appending
    /// the request's audit event in the same atomic step.
    /// </summary>
    ValueTask<StateChange> ChangeStateAsync(StateChangeRequest request, CancellationToken cancellationToken);

    /// <summary>
    /// Continues a task past its deadline, in one atomic step: if the task is in one of <paramref name="fromStates"/>, its
    /// deadline becomes <paramref name="taskToken"/>'s expiry, the fresh task token is recorded (and entered in the expiry
    /// index), a task awaiting approval resumes running, and <paramref name="audit"/> is appended. The old task token is
    /// revoked by the caller afterwards (<see cref="RevokeSubtreeAsync"/>). If the task has had continuations since the caller
    /// read it (<paramref name="expectedContinuations"/>, the <see cref="TaskView.Continuations"/> it read, is no longer the
    /// count), nothing changes and the outcome is <see cref="StateChangeOutcome.Unchanged"/>, so continuations racing on one
    /// read never leave two live task tokens — whatever deadlines they set.
    /// </summary>
    /// <returns>The outcome, and the state the task was in.</returns>
    ValueTask<StateChange> ContinueTaskAsync(string taskId, CredentialRecord taskToken, IReadOnlyCollection<Tasks.TaskState> fromStates, long expectedContinuations, DateTimeOffset at, Audit.AuditEvent audit, CancellationToken cancellationToken);

    /// <summary>
    /// Revokes a credential with <paramref name="reason"/> and every credential derived from it with
    /// <see cref="RevocationReasons.Cascade"/>, in one atomic step. Already revoked credentials keep their
    /// first revocation. When the credential exists, <paramref name="audit"/> is appended in the same atomic step. Returns how
    /// many credentials this call revoked.
    /// </summary>
    ValueTask<int> RevokeSubtreeAsync(string taskId, string jti, DateTimeOffset at, string reason, Audit.AuditEvent audit, CancellationToken cancellationToken);

    /// <summary>
    /// <see cref="RevokeSubtreeAsync"/> for many subtrees (of any tasks), each atomic as one is, with the same revoker work
    /// left behind (a store may announce many tasks' work in one entry); returns how many credentials were revoked in all.
    /// When it throws, any of them may or may not be revoked: revoking again is harmless, so the caller repeats all of them.
    /// </summary>
    async ValueTask<int> RevokeSubtreesAsync(IReadOnlyList<SubtreeRevocation> revocations, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(revocations);
        var revoked = 0;
        foreach (var r in revocations)
        {
            revoked += await RevokeSubtreeAsync(r.TaskId, r.Jti, r.At, r.Reason, r.Audit, cancellationToken);
        }

        return revoked;
    }

    /// <summary>
    /// Remembers that the downstream secret <paramref name="secret"/> (already recorded) is being issued, until
    /// <see cref="ConfirmIssuedAsync"/> or, after <paramref name="deadline"/>, until the revoker claims it as unconfirmed and
    /// revokes it downstream: a secret whose issuer crashed or timed out mid-call is never left behind.
    /// </summary>
    ValueTask TrackIssuingAsync(CredentialRecord secret, DateTimeOffset deadline, CancellationToken cancellationToken);

    /// <summary>
    /// Records that the secret was issued (with its Vault lease id, if any). While its record is unrevoked, forgets its
    /// issuing mark and returns <see langword="true"/>. A record revoked while the backend was still creating the secret
    /// (its downstream revocation may have run before the secret existed) keeps the mark, now due at <paramref name="now"/>,
    /// so the revoker revokes it downstream once more; then it returns <see langword="false"/> and the secret must not be handed out.
    /// </summary>
    ValueTask<bool> ConfirmIssuedAsync(CredentialRecord secret, string? leaseId, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>Throws <see cref="StoreUnavailableException"/> unless the store answers.</summary>
    ValueTask PingAsync(CancellationToken cancellationToken);

    /// <summary>
    /// The store's own clock, for replicas to compare theirs with (a drift alarm); <see langword="null"/> for a store that
    /// runs on the broker's clock (the embedded store).
    /// </summary>
    /// <exception cref="StoreUnavailableException">The store did not answer.</exception>
    ValueTask<DateTimeOffset?> ReadClockAsync(CancellationToken cancellationToken) => ValueTask.FromResult<DateTimeOffset?>(null);
}
