using CredentialBroker.Abstractions.Storage;
using CredentialBroker.EmbeddedStore;

namespace CredentialBroker.Core.Tests.Revocation;

/// <summary>
/// The embedded store as a replica sees the Redis store while a writer is between announcing a revocation and
/// recording it: the first time an entry is taken, it is not recorded yet.
/// </summary>
internal sealed class LateRecordingStore(IRevokerStore inner) : DelegatingRevokerStore(inner)
{
    private readonly HashSet<string> _seen = [];

    public List<string> Deferred { get; } = [];

    public override async ValueTask<IReadOnlyList<RevocationWork>> TakeWorkAsync(string consumer, int count, TimeSpan reclaimAfter, CancellationToken cancellationToken) =>
        [.. (await Inner.TakeWorkAsync(consumer, count, reclaimAfter, cancellationToken)).Select(w => w with { Recorded = !_seen.Add(w.Id) })];

    public override ValueTask DeferWorkAsync(IReadOnlyList<RevocationWork> work, TimeSpan reclaimAfter, CancellationToken cancellationToken)
    {
        Deferred.AddRange(work.Select(w => w.Id));
        return Inner.DeferWorkAsync(work, reclaimAfter, cancellationToken);
    }
}
