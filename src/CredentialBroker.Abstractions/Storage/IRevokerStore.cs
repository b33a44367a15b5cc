namespace CredentialBroker.Abstractions.Storage;

/// <summary>
/// The revoker's durable work. Revoking a credential (a state change, RFC 7009, a bulk revocation) leaves it
/// <em>pending</em> in its task, and — written before the revocation itself — an entry in a shared work queue
/// naming the task. TTL expiry needs no queue: the expiry index claim, held under a lease, is the work. Any broker
/// replica takes the work, delivers each pending credential downstream and only then completes it; work a crashed
/// replica took is taken over after a lease. Nothing lives only in a process's memory, duplicates are harmless,
/// gaps impossible.
/// </summary>
public interface IRevokerStore
{
    /// <summary>Claims up to <paramref name="limit"/> credentials whose expiry is at or before <paramref name="now"/>, for <paramref name="lease"/> (claims a crashed sweeper held are claimed again).</summary>
    ValueTask<IReadOnlyList<DueCredential>> ClaimDueAsync(DateTimeOffset now, int limit, TimeSpan lease, CancellationToken cancellationToken);

    /// <summary>
    /// Reads a claimed due credential whose expiry still needs finishing: due at <paramref name="now"/>, not revoked
    /// earlier (a revocation is queued work of its own), its expiry not finished yet (also after a sweep that
    /// crashed halfway). Returns it with <see cref="CredentialRecord.ExpiryProcessedAt"/> set to <paramref name="now"/>,
    /// for <see cref="CompleteAsync(CredentialRecord, DownstreamState, DateTimeOffset?, CancellationToken)"/> to record; <see langword="null"/> otherwise. Writes nothing: the claim, held
    /// under its lease, is the durable work.
    /// </summary>
    ValueTask<CredentialRecord?> ReadDueAsync(DueCredential due, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>
    /// <see cref="ReadDueAsync(DueCredential, DateTimeOffset, CancellationToken)"/> for many claimed credentials at once (a
    /// store reads them in one round trip); returns those whose expiry still needs finishing, in no particular order.
    /// </summary>
    async ValueTask<IReadOnlyList<CredentialRecord>> ReadDueAsync(IReadOnlyList<DueCredential> due, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(due);
        var expired = new List<CredentialRecord>(due.Count);
        foreach (var one in due)
        {
            if (await ReadDueAsync(one, now, cancellationToken) is { } credential)
            {
                expired.Add(credential);
            }
        }

        return expired;
    }

    /// <summary>Drops finished claims from the expiry index.</summary>
    ValueTask ReleaseAsync(IReadOnlyList<DueCredential> claimed, CancellationToken cancellationToken);

    /// <summary>Takes up to <paramref name="count"/> work entries for <paramref name="consumer"/>, including entries another consumer took more than <paramref name="reclaimAfter"/> ago and never acknowledged.</summary>
    ValueTask<IReadOnlyList<RevocationWork>> TakeWorkAsync(string consumer, int count, TimeSpan reclaimAfter, CancellationToken cancellationToken);

    /// <summary>Acknowledges finished work.</summary>
    ValueTask AckWorkAsync(IReadOnlyList<RevocationWork> work, CancellationToken cancellationToken);

    /// <summary>Hands taken work that is not <see cref="RevocationWork.Recorded"/> yet back to the queue, for any replica taking with <paramref name="reclaimAfter"/> to take again at once.</summary>
    ValueTask DeferWorkAsync(IReadOnlyList<RevocationWork> work, TimeSpan reclaimAfter, CancellationToken cancellationToken);

    /// <summary>The task's credentials whose downstream revocation is pending.</summary>
    ValueTask<IReadOnlyList<CredentialRecord>> GetPendingAsync(string taskId, CancellationToken cancellationToken);

    /// <summary>
    /// <see cref="GetPendingAsync(string, CancellationToken)"/> for many tasks at once (a store reads them in a couple of
    /// round trips rather than one per task and credential).
    /// </summary>
    async ValueTask<IReadOnlyList<CredentialRecord>> GetPendingAsync(IReadOnlyList<string> taskIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(taskIds);
        var pending = new List<CredentialRecord>();
        foreach (var taskId in taskIds)
        {
            pending.AddRange(await GetPendingAsync(taskId, cancellationToken));
        }

        return pending;
    }

    /// <summary>
    /// <see cref="CompleteAsync(CredentialRecord, DownstreamState, DateTimeOffset?, CancellationToken)"/> for many credentials
    /// at once, with the same guarantees for each (a store records them in a few round trips). When it throws, any of them
    /// may or may not be recorded: recording again is harmless, so the caller leaves all of them to be retried.
    /// </summary>
    async ValueTask CompleteAsync(IReadOnlyList<DownstreamCompletion> completions, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(completions);
        foreach (var completion in completions)
        {
            await CompleteAsync(completion.Credential, completion.Outcome, completion.RetryAt, cancellationToken);
        }
    }

    /// <summary>
    /// Records the downstream outcome of <paramref name="credential"/> (pending, or an expiry from
    /// <see cref="ReadDueAsync(DueCredential, DateTimeOffset, CancellationToken)"/>, whose processing time is recorded with it) and takes it off the pending set. An
    /// irrevocable outcome schedules a retry at <paramref name="retryAt"/>; a credential that was irrevocable leaves
    /// the retries once its outcome is recorded. A settled outcome (<see cref="DownstreamState.IsSettled"/>) is replaced only
    /// when <paramref name="credential"/> was read with it: a replica that lost its lease and records a failed attempt late
    /// must not undo another's success, while a secret revoked once more on purpose records how that went.
    /// </summary>
    ValueTask CompleteAsync(CredentialRecord credential, DownstreamState outcome, DateTimeOffset? retryAt, CancellationToken cancellationToken);

    /// <summary>Drops a scheduled retry whose credential record no longer exists.</summary>
    ValueTask DropRetryAsync(string taskId, string jti, CancellationToken cancellationToken);

    /// <summary>Claims irrevocable credentials due for another attempt.</summary>
    ValueTask<IReadOnlyList<(string TaskId, string Jti)>> ClaimRetriesAsync(DateTimeOffset now, int limit, TimeSpan lease, CancellationToken cancellationToken);

    /// <summary>
    /// Claims, for <paramref name="lease"/>, up to <paramref name="limit"/> downstream secrets whose issue was never
    /// confirmed by their deadline (see <see cref="ICredentialStore.TrackIssuingAsync"/>); a claimer that dies leaves them
    /// to be claimed again.
    /// </summary>
    ValueTask<IReadOnlyList<(string TaskId, string Jti)>> ClaimUnconfirmedAsync(DateTimeOffset now, int limit, TimeSpan lease, CancellationToken cancellationToken);

    /// <summary>Forgets an unconfirmed secret once its revocation is recorded (or its record is gone).</summary>
    ValueTask ForgetIssuingAsync(string taskId, string jti, CancellationToken cancellationToken);

    /// <summary>How many work entries are waiting or taken but not acknowledged.</summary>
    ValueTask<long> DepthAsync(CancellationToken cancellationToken);
}
