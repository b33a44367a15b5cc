using CredentialBroker.Abstractions.Storage;

namespace CredentialBroker.Core.Tests.Revocation;

/// <summary>
/// The embedded revoker store as the Redis store looks after a bulk fan-out: every task taken comes from one work entry
/// (one id shared by all), and reading <paramref name="failingTask"/>'s pending credentials fails.
/// </summary>
internal sealed class SharedEntryStore(IRevokerStore inner, string? failingTask) : DelegatingRevokerStore(inner)
{
    private const string SharedId = "0/1-0";
    private readonly Dictionary<string, RevocationWork> _originals = new(StringComparer.Ordinal);

    public List<RevocationWork> Acknowledged { get; } = [];

    public override async ValueTask<IReadOnlyList<RevocationWork>> TakeWorkAsync(string consumer, int count, TimeSpan reclaimAfter, CancellationToken cancellationToken)
    {
        var taken = await Inner.TakeWorkAsync(consumer, count, reclaimAfter, cancellationToken);
        foreach (var work in taken)
        {
            _originals[work.TaskId] = work;
        }

        return [.. taken.Select(w => w with { Id = SharedId })];
    }

    public override ValueTask AckWorkAsync(IReadOnlyList<RevocationWork> work, CancellationToken cancellationToken)
    {
        Acknowledged.AddRange(work);
        return Inner.AckWorkAsync([.. work.Select(w => _originals[w.TaskId])], cancellationToken);
    }

    public override ValueTask<IReadOnlyList<CredentialRecord>> GetPendingAsync(IReadOnlyList<string> taskIds, CancellationToken cancellationToken) =>
        taskIds.Contains(failingTask) ? throw new InvalidOperationException("This task's record cannot be read.") : Inner.GetPendingAsync(taskIds, cancellationToken);

    public override ValueTask<IReadOnlyList<CredentialRecord>> GetPendingAsync(string taskId, CancellationToken cancellationToken) => GetPendingAsync([taskId], cancellationToken);

    public override ValueTask DeferWorkAsync(IReadOnlyList<RevocationWork> work, TimeSpan reclaimAfter, CancellationToken cancellationToken) =>
        Inner.DeferWorkAsync([.. work.Select(w => _originals[w.TaskId])], reclaimAfter, cancellationToken);
}
