namespace CredentialBroker.Abstractions.Soc;

/// <summary>
/// What the Shared Signals transmitter keeps: the event streams receivers registered (each stored as the transmitter's
/// own JSON, opaque to the store), the Security Event Tokens signed for each stream and not yet delivered or acknowledged,
/// and how far the transmitter has read the revocation feed. Pending events live here, never only in a process's memory,
/// so a crash or restart loses none. Implemented by both stores; a store that cannot answer throws
/// <see cref="Storage.StoreUnavailableException"/>.
/// </summary>
public interface ISsfStreamStore
{
    /// <summary>Records a stream's configuration, or replaces it.</summary>
    ValueTask SaveStreamAsync(string streamId, string configuration, CancellationToken cancellationToken);

    /// <summary>A stream's configuration, or <see langword="null"/>.</summary>
    ValueTask<string?> GetStreamAsync(string streamId, CancellationToken cancellationToken);

    /// <summary>Every stream's configuration.</summary>
    ValueTask<IReadOnlyList<string>> ListStreamsAsync(CancellationToken cancellationToken);

    /// <summary>Deletes a stream and every event pending for it; <see langword="false"/> when there was no such stream.</summary>
    ValueTask<bool> DeleteStreamAsync(string streamId, CancellationToken cancellationToken);

    /// <summary>
    /// Adds events to a stream's pending events, after those already there. An event whose <see cref="SsfPendingEvent.Jti"/>
    /// is already pending keeps its place (enqueueing is idempotent, so work done again after a crash sends nothing twice).
    /// </summary>
    ValueTask EnqueueAsync(string streamId, IReadOnlyList<SsfPendingEvent> events, CancellationToken cancellationToken);

    /// <summary>How many events are pending for a stream.</summary>
    ValueTask<long> CountPendingAsync(string streamId, CancellationToken cancellationToken);

    /// <summary>Up to <paramref name="count"/> of a stream's pending events, oldest first.</summary>
    ValueTask<IReadOnlyList<SsfPendingEvent>> ReadPendingAsync(string streamId, int count, CancellationToken cancellationToken);

    /// <summary>Removes delivered or acknowledged events from a stream's pending events; returns how many were pending.</summary>
    ValueTask<int> AcknowledgeAsync(string streamId, IReadOnlyCollection<string> jtis, CancellationToken cancellationToken);

    /// <summary>The id of the last revocation feed entry the transmitter turned into events, or <see langword="null"/>.</summary>
    ValueTask<string?> GetFeedCursorAsync(CancellationToken cancellationToken);

    /// <summary>Records how far the transmitter has read the revocation feed.</summary>
    ValueTask SaveFeedCursorAsync(string feedId, CancellationToken cancellationToken);
}
