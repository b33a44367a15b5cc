using CredentialBroker.Abstractions.Storage;
using CredentialBroker.EmbeddedStore;

namespace CredentialBroker.Server.Revocation;

/// <summary>The store's feed, telling this replica's feed streams about each append.</summary>
internal sealed class NotifyingRevocationFeed(IRevocationFeed inner, FeedNotifier notifier) : IRevocationFeed
{
    public async ValueTask<string> AppendAsync(RevocationEvent revocation, CancellationToken cancellationToken)
    {
        var id = await inner.AppendAsync(revocation, cancellationToken);
        notifier.Notify();
        return id;
    }

    public ValueTask<IReadOnlyList<RevocationEvent>> ReadAsync(string? afterId, int count, CancellationToken cancellationToken) => inner.ReadAsync(afterId, count, cancellationToken);

    public ValueTask TrimAsync(DateTimeOffset before, CancellationToken cancellationToken) => inner.TrimAsync(before, cancellationToken);
}
