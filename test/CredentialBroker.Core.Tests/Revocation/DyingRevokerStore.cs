using CredentialBroker.Abstractions.Storage;

namespace CredentialBroker.Core.Tests.Revocation;

/// <summary>
/// The embedded revoker store as a replica that dies in the middle of recording a batch of outcomes: the first
/// <paramref name="recordedBeforeDying"/> outcomes of a batch are recorded, then <paramref name="death"/> is thrown (the store
/// going away, or the host shutting the replica down) — for the first <paramref name="deaths"/> batches; later ones pass
/// through, as does everything else.
/// </summary>
internal sealed class DyingRevokerStore(IRevokerStore inner, int recordedBeforeDying, Func<Exception> death, int deaths = 1) : IRevokerStore
{
    public int Deaths { get; private set; }

    public async ValueTask CompleteAsync(IReadOnlyList<DownstreamCompletion> completions, CancellationToken cancellationToken)
    {
        if (Deaths >= deaths)
        {
            await inner.CompleteAsync(completions, cancellationToken);
            return;
        }

        foreach (var completion in completions.Take(recordedBeforeDying))
        {
            await inner.CompleteAsync(completion.Credential, completion.Outcome, completion.RetryAt, cancellationToken);
        }

        Deaths++;
        throw death();
    }

    public ValueTask CompleteAsync(CredentialRecord credential, DownstreamState outcome, DateTimeOffset? retryAt, CancellationToken cancellationToken) =>
        CompleteAsync([new DownstreamCompletion(credential, outcome, retryAt)], cancellationToken);

    public ValueTask<IReadOnlyList<CredentialRecord>> ReadDueAsync(IReadOnlyList<DueCredential> due, DateTimeOffset now, CancellationToken cancellationToken) => inner.ReadDueAsync(due, now, cancellationToken);

    public ValueTask<IReadOnlyList<CredentialRecord>> GetPendingAsync(IReadOnlyList<string> taskIds, CancellationToken cancellationToken) => inner.GetPendingAsync(taskIds, cancellationToken);

    public ValueTask<IReadOnlyList<RevocationWork>> TakeWorkAsync(string consumer, int count, TimeSpan reclaimAfter, CancellationToken cancellationToken) => inner.TakeWorkAsync(consumer, count, reclaimAfter, cancellationToken);

    public ValueTask DeferWorkAsync(IReadOnlyList<RevocationWork> work, TimeSpan reclaimAfter, CancellationToken cancellationToken) => inner.DeferWorkAsync(work, reclaimAfter, cancellationToken);

    public ValueTask AckWorkAsync(IReadOnlyList<RevocationWork> work, CancellationToken cancellationToken) => inner.AckWorkAsync(work, cancellationToken);

    public ValueTask<IReadOnlyList<DueCredential>> ClaimDueAsync(DateTimeOffset now, int limit, TimeSpan lease, CancellationToken cancellationToken) => inner.ClaimDueAsync(now, limit, lease, cancellationToken);

    public ValueTask<CredentialRecord?> ReadDueAsync(DueCredential due, DateTimeOffset now, CancellationToken cancellationToken) => inner.ReadDueAsync(due, now, cancellationToken);

    public ValueTask ReleaseAsync(IReadOnlyList<DueCredential> claimed, CancellationToken cancellationToken) => inner.ReleaseAsync(claimed, cancellationToken);

    public ValueTask<IReadOnlyList<CredentialRecord>> GetPendingAsync(string taskId, CancellationToken cancellationToken) => inner.GetPendingAsync(taskId, cancellationToken);

    public ValueTask DropRetryAsync(string taskId, string jti, CancellationToken cancellationToken) => inner.DropRetryAsync(taskId, jti, cancellationToken);

    public ValueTask<IReadOnlyList<(string TaskId, string Jti)>> ClaimRetriesAsync(DateTimeOffset now, int limit, TimeSpan lease, CancellationToken cancellationToken) => inner.ClaimRetriesAsync(now, limit, lease, cancellationToken);

    public ValueTask<long> DepthAsync(CancellationToken cancellationToken) => inner.DepthAsync(cancellationToken);

    public ValueTask<IReadOnlyList<(string TaskId, string Jti)>> ClaimUnconfirmedAsync(DateTimeOffset now, int limit, TimeSpan lease, CancellationToken cancellationToken) =>
        inner.ClaimUnconfirmedAsync(now, limit, lease, cancellationToken);

    public ValueTask ForgetIssuingAsync(string taskId, string jti, CancellationToken cancellationToken) => inner.ForgetIssuingAsync(taskId, jti, cancellationToken);
}
