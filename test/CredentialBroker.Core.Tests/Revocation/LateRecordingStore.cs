using CredentialBroker.Abstractions.Storage;
using CredentialBroker.EmbeddedStore;

namespace CredentialBroker.Core.Tests.Revocation;

/// <summary>
/// The embedded store as a replica sees the Redis store while a writer is between announcing a revocation and
/// recording it: the first time an entry is taken, it is not recorded yet.
/// </summary>
internal sealed class LateRecordingStore(IRevokerStore inner) : IRevokerStore
{
    private readonly HashSet<string> _seen = [];

    public List<string> Deferred { get; } = [];

    public async ValueTask<IReadOnlyList<RevocationWork>> TakeWorkAsync(string consumer, int count, TimeSpan reclaimAfter, CancellationToken cancellationToken) =>
        [.. (await inner.TakeWorkAsync(consumer, count, reclaimAfter, cancellationToken)).Select(w => w with { Recorded = !_seen.Add(w.Id) })];

    public ValueTask DeferWorkAsync(IReadOnlyList<RevocationWork> work, TimeSpan reclaimAfter, CancellationToken cancellationToken)
    {
        Deferred.AddRange(work.Select(w => w.Id));
        return inner.DeferWorkAsync(work, reclaimAfter, cancellationToken);
    }

    public ValueTask AckWorkAsync(IReadOnlyList<RevocationWork> work, CancellationToken cancellationToken) => inner.AckWorkAsync(work, cancellationToken);

    public ValueTask<IReadOnlyList<DueCredential>> ClaimDueAsync(DateTimeOffset now, int limit, TimeSpan lease, CancellationToken cancellationToken) => inner.ClaimDueAsync(now, limit, lease, cancellationToken);

    public ValueTask<CredentialRecord?> ReadDueAsync(DueCredential due, DateTimeOffset now, CancellationToken cancellationToken) => inner.ReadDueAsync(due, now, cancellationToken);

    public ValueTask ReleaseAsync(IReadOnlyList<DueCredential> claimed, CancellationToken cancellationToken) => inner.ReleaseAsync(claimed, cancellationToken);

    public ValueTask<IReadOnlyList<CredentialRecord>> GetPendingAsync(string taskId, CancellationToken cancellationToken) => inner.GetPendingAsync(taskId, cancellationToken);

    public ValueTask CompleteAsync(CredentialRecord credential, DownstreamState outcome, DateTimeOffset? retryAt, CancellationToken cancellationToken) => inner.CompleteAsync(credential, outcome, retryAt, cancellationToken);

    public ValueTask DropRetryAsync(string taskId, string jti, CancellationToken cancellationToken) => inner.DropRetryAsync(taskId, jti, cancellationToken);

    public ValueTask<IReadOnlyList<(string TaskId, string Jti)>> ClaimRetriesAsync(DateTimeOffset now, int limit, TimeSpan lease, CancellationToken cancellationToken) => inner.ClaimRetriesAsync(now, limit, lease, cancellationToken);

    public ValueTask<long> DepthAsync(CancellationToken cancellationToken) => inner.DepthAsync(cancellationToken);

    public ValueTask<IReadOnlyList<(string TaskId, string Jti)>> ClaimUnconfirmedAsync(DateTimeOffset now, int limit, TimeSpan lease, CancellationToken cancellationToken) =>
        inner.ClaimUnconfirmedAsync(now, limit, lease, cancellationToken);

    public ValueTask ForgetIssuingAsync(string taskId, string jti, CancellationToken cancellationToken) => inner.ForgetIssuingAsync(taskId, jti, cancellationToken);
}
