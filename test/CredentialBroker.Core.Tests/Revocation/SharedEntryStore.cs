using CredentialBroker.Abstractions.Storage;

namespace CredentialBroker.Core.Tests.Revocation;

/// <summary>
/// The embedded revoker store as the Redis store looks after a bulk fan-out: every task taken comes from one work entry
/// (one id shared by all), and reading <paramref name="failingTask"/>'s pending credentials fails.
/// </summary>
internal sealed class SharedEntryStore(IRevokerStore inner, string? failingTask) : IRevokerStore
{
    private const string SharedId = "0/1-0";
    private readonly Dictionary<string, RevocationWork> _originals = new(StringComparer.Ordinal);

    public List<RevocationWork> Acknowledged { get; } = [];

    public async ValueTask<IReadOnlyList<RevocationWork>> TakeWorkAsync(string consumer, int count, TimeSpan reclaimAfter, CancellationToken cancellationToken)
    {
        var taken = await inner.TakeWorkAsync(consumer, count, reclaimAfter, cancellationToken);
        foreach (var work in taken)
        {
            _originals[work.TaskId] = work;
        }

        return [.. taken.Select(w => w with { Id = SharedId })];
    }

    public ValueTask AckWorkAsync(IReadOnlyList<RevocationWork> work, CancellationToken cancellationToken)
    {
        Acknowledged.AddRange(work);
        return inner.AckWorkAsync([.. work.Select(w => _originals[w.TaskId])], cancellationToken);
    }

    public ValueTask<IReadOnlyList<CredentialRecord>> GetPendingAsync(IReadOnlyList<string> taskIds, CancellationToken cancellationToken) =>
        taskIds.Contains(failingTask) ? throw new InvalidOperationException("This task's record cannot be read.") : inner.GetPendingAsync(taskIds, cancellationToken);

    public ValueTask<IReadOnlyList<CredentialRecord>> GetPendingAsync(string taskId, CancellationToken cancellationToken) => GetPendingAsync([taskId], cancellationToken);

    public ValueTask DeferWorkAsync(IReadOnlyList<RevocationWork> work, TimeSpan reclaimAfter, CancellationToken cancellationToken) =>
        inner.DeferWorkAsync([.. work.Select(w => _originals[w.TaskId])], reclaimAfter, cancellationToken);

    public ValueTask CompleteAsync(IReadOnlyList<DownstreamCompletion> completions, CancellationToken cancellationToken) => inner.CompleteAsync(completions, cancellationToken);

    public ValueTask CompleteAsync(CredentialRecord credential, DownstreamState outcome, DateTimeOffset? retryAt, CancellationToken cancellationToken) => inner.CompleteAsync(credential, outcome, retryAt, cancellationToken);

    public ValueTask<IReadOnlyList<DueCredential>> ClaimDueAsync(DateTimeOffset now, int limit, TimeSpan lease, CancellationToken cancellationToken) => inner.ClaimDueAsync(now, limit, lease, cancellationToken);

    public ValueTask<CredentialRecord?> ReadDueAsync(DueCredential due, DateTimeOffset now, CancellationToken cancellationToken) => inner.ReadDueAsync(due, now, cancellationToken);

    public ValueTask ReleaseAsync(IReadOnlyList<DueCredential> claimed, CancellationToken cancellationToken) => inner.ReleaseAsync(claimed, cancellationToken);

    public ValueTask DropRetryAsync(string taskId, string jti, CancellationToken cancellationToken) => inner.DropRetryAsync(taskId, jti, cancellationToken);

    public ValueTask<IReadOnlyList<(string TaskId, string Jti)>> ClaimRetriesAsync(DateTimeOffset now, int limit, TimeSpan lease, CancellationToken cancellationToken) => inner.ClaimRetriesAsync(now, limit, lease, cancellationToken);

    public ValueTask<long> DepthAsync(CancellationToken cancellationToken) => inner.DepthAsync(cancellationToken);

    public ValueTask<IReadOnlyList<(string TaskId, string Jti)>> ClaimUnconfirmedAsync(DateTimeOffset now, int limit, TimeSpan lease, CancellationToken cancellationToken) =>
        inner.ClaimUnconfirmedAsync(now, limit, lease, cancellationToken);

    public ValueTask ForgetIssuingAsync(string taskId, string jti, CancellationToken cancellationToken) => inner.ForgetIssuingAsync(taskId, jti, cancellationToken);
}
