using CredentialBroker.Abstractions.Storage;

namespace CredentialBroker.Revoker;

/// <summary>
/// The revocation feed as the broker uses it: the revoker publishes each revoked or expired credential, resource servers'
/// streams read from it, and it is trimmed by age. A stream on this replica wakes as soon as this replica publishes;
/// other replicas' entries arrive when the stream polls the store.
/// </summary>
public sealed class RevocationFeed(IRevocationFeed store)
{
    private TaskCompletionSource _published = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Appends an entry; returns its feed event id.</summary>
    /// <exception cref="StoreUnavailableException">The store did not answer; nothing was published.</exception>
    public async ValueTask<string> PublishAsync(RevocationEvent revocation, CancellationToken cancellationToken)
    {
        var id = await store.AppendAsync(revocation, cancellationToken);
        Interlocked.Exchange(ref _published, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
        return id;
    }

    /// <summary>Appends entries in their order (in one round trip where the store can); returns their feed event ids.</summary>
    /// <exception cref="StoreUnavailableException">The store did not answer; some entries may have been published (publishing again is harmless).</exception>
    public async ValueTask<IReadOnlyList<string>> PublishAsync(IReadOnlyList<RevocationEvent> revocations, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(revocations);
        if (revocations.Count == 0)
        {
            return [];
        }

        var ids = await store.AppendAsync(revocations, cancellationToken);
        Interlocked.Exchange(ref _published, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
        return ids;
    }

    /// <summary>Up to <paramref name="count"/> entries after <paramref name="afterId"/> (or from the start of the retained feed), oldest first.</summary>
    public ValueTask<IReadOnlyList<RevocationEvent>> ReadAsync(string? afterId, int count, CancellationToken cancellationToken) =>
        store.ReadAsync(afterId, count, cancellationToken);

    /// <summary>Drops entries recorded before <paramref name="before"/>.</summary>
    public ValueTask TrimAsync(DateTimeOffset before, CancellationToken cancellationToken) => store.TrimAsync(before, cancellationToken);

    /// <summary>Completes when this replica publishes, or after <paramref name="timeout"/> (time to poll for other replicas' entries).</summary>
    public async Task WaitForPublishAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        try
        {
            await Volatile.Read(ref _published).Task.WaitAsync(timeout, cancellationToken);
        }
        catch (TimeoutException)
        {
            // Time to poll.
        }
    }
}
