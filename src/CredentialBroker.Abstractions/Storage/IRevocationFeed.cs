namespace CredentialBroker.Abstractions.Storage;

/// <summary>
/// The durable, ordered revocation feed resource servers follow (<c>GET /v1/revocations/feed</c>). Entries are
/// kept at least as long as any credential lives, so a resource server that reconnects with its last event
/// id misses nothing that still matters.
/// </summary>
public interface IRevocationFeed
{
    /// <summary>Appends an event; returns its id.</summary>
    ValueTask<string> AppendAsync(RevocationEvent revocation, CancellationToken cancellationToken);

    /// <summary>
    /// Appends events in their order (a store appends them in one round trip); returns their ids in the same order. When
    /// it throws, some may have been appended: appending them again is harmless (followers deny a jti once).
    /// </summary>
    async ValueTask<IReadOnlyList<string>> AppendAsync(IReadOnlyList<RevocationEvent> revocations, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(revocations);
        var ids = new List<string>(revocations.Count);
        foreach (var revocation in revocations)
        {
            ids.Add(await AppendAsync(revocation, cancellationToken));
        }

        return ids;
    }

    /// <summary>Up to <paramref name="count"/> events after <paramref name="afterId"/> (from the start when <see langword="null"/>), oldest first.</summary>
    ValueTask<IReadOnlyList<RevocationEvent>> ReadAsync(string? afterId, int count, CancellationToken cancellationToken);

    /// <summary>Drops events appended before <paramref name="before"/>.</summary>
    ValueTask TrimAsync(DateTimeOffset before, CancellationToken cancellationToken);
}
