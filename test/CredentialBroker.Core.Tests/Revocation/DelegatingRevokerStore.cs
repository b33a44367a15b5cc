using CredentialBroker.Abstractions.Storage;

namespace CredentialBroker.Core.Tests.Revocation;

/// <summary>A revoker store that passes everything to <paramref name="inner"/>; the wrappers that misbehave on cue override what they change.</summary>
internal abstract class DelegatingRevokerStore(IRevokerStore inner) : IRevokerStore
{
    protected IRevokerStore Inner => inner;

    public virtual ValueTask<IReadOnlyList<RevocationWork>> TakeWorkAsync(string consumer, int count, TimeSpan reclaimAfter, CancellationToken cancellationToken) => inner.TakeWorkAsync(consumer, count, reclaimAfter, cancellationToken);

    public virtual ValueTask DeferWorkAsync(IReadOnlyList<RevocationWork> work, TimeSpan reclaimAfter, CancellationToken cancellationToken) => inner.DeferWorkAsync(work, reclaimAfter, cancellationToken);

    public virtual ValueTask AckWorkAsync(IReadOnlyList<RevocationWork> work, CancellationToken cancellationToken) => inner.AckWorkAsync(work, cancellationToken);

    public virtual ValueTask<IReadOnlyList<DueCredential>> ClaimDueAsync(DateTimeOffset now, int limit, TimeSpan lease, CancellationToken cancellationToken) => inner.ClaimDueAsync(now, limit, lease, cancellationToken);

    public virtual ValueTask<CredentialRecord?> ReadDueAsync(DueCredential due, DateTimeOffset now, CancellationToken cancellationToken) => inner.ReadDueAsync(due, now, cancellationToken);

    public virtual ValueTask<IReadOnlyList<CredentialRecord>> ReadDueAsync(IReadOnlyList<DueCredential> due, DateTimeOffset now, CancellationToken cancellationToken) => inner.ReadDueAsync(due, now, cancellationToken);

    public virtual ValueTask ReleaseAsync(IReadOnlyList<DueCredential> claimed, CancellationToken cancellationToken) => inner.ReleaseAsync(claimed, cancellationToken);

    public virtual ValueTask<IReadOnlyList<CredentialRecord>> GetPendingAsync(string taskId, CancellationToken cancellationToken) => inner.GetPendingAsync(taskId, cancellationToken);

    public virtual ValueTask<IReadOnlyList<CredentialRecord>> GetPendingAsync(IReadOnlyList<string> taskIds, CancellationToken cancellationToken) => inner.GetPendingAsync(taskIds, cancellationToken);

    public virtual ValueTask CompleteAsync(CredentialRecord credential, DownstreamState outcome, DateTimeOffset? retryAt, CancellationToken cancellationToken) => inner.CompleteAsync(credential, outcome, retryAt, cancellationToken);

    public virtual ValueTask CompleteAsync(IReadOnlyList<DownstreamCompletion> completions, CancellationToken cancellationToken) => inner.CompleteAsync(completions, cancellationToken);

    public virtual ValueTask DropRetryAsync(string taskId, string jti, CancellationToken cancellationToken) => inner.DropRetryAsync(taskId, jti, cancellationToken);

    public virtual ValueTask<IReadOnlyList<(string TaskId, string Jti)>> ClaimRetriesAsync(DateTimeOffset now, int limit, TimeSpan lease, CancellationToken cancellationToken) => inner.ClaimRetriesAsync(now, limit, lease, cancellationToken);

    public virtual ValueTask<long> DepthAsync(CancellationToken cancellationToken) => inner.DepthAsync(cancellationToken);

    public virtual ValueTask<IReadOnlyList<(string TaskId, string Jti)>> ClaimUnconfirmedAsync(DateTimeOffset now, int limit, TimeSpan lease, CancellationToken cancellationToken) =>
        inner.ClaimUnconfirmedAsync(now, limit, lease, cancellationToken);

    public virtual ValueTask ForgetIssuingAsync(string taskId, string jti, CancellationToken cancellationToken) => inner.ForgetIssuingAsync(taskId, jti, cancellationToken);
}
