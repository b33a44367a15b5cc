using CredentialBroker.Abstractions.Storage;

namespace CredentialBroker.Core.Tests.Revocation;

/// <summary>
/// The embedded revoker store as a replica that dies in the middle of recording a batch of outcomes: the first
/// <paramref name="recordedBeforeDying"/> outcomes of a batch are recorded, then <paramref name="death"/> is thrown (the store
/// going away, or the host shutting the replica down) — for the first <paramref name="deaths"/> batches; later ones pass
/// through, as does everything else.
/// </summary>
internal sealed class DyingRevokerStore(IRevokerStore inner, int recordedBeforeDying, Func<Exception> death, int deaths = 1) : DelegatingRevokerStore(inner)
{
    public int Deaths { get; private set; }

    public override async ValueTask CompleteAsync(IReadOnlyList<DownstreamCompletion> completions, CancellationToken cancellationToken)
    {
        if (Deaths >= deaths)
        {
            await Inner.CompleteAsync(completions, cancellationToken);
            return;
        }

        foreach (var completion in completions.Take(recordedBeforeDying))
        {
            await Inner.CompleteAsync(completion.Credential, completion.Outcome, completion.RetryAt, cancellationToken);
        }

        Deaths++;
        throw death();
    }

    public override ValueTask CompleteAsync(CredentialRecord credential, DownstreamState outcome, DateTimeOffset? retryAt, CancellationToken cancellationToken) =>
        CompleteAsync([new DownstreamCompletion(credential, outcome, retryAt)], cancellationToken);
}
