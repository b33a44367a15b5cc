namespace CredentialBroker.Abstractions.Soc;

/// <summary>
/// What the SOC features keep: the indexes that find a selector's tasks without scanning the fleet, bulk
/// revocations with their matched credentials, incidents, leases and replay memory. Implemented by both stores;
/// like <see cref="Storage.ICredentialStore"/>, a store that cannot answer throws
/// <see cref="Storage.StoreUnavailableException"/>.
/// </summary>
public interface ISocStore
{
    /// <summary>
    /// The ids of the tasks that may hold credentials <paramref name="selector"/> matches (a superset: callers
    /// check each credential), among the tasks whose records the store still keeps. Each id at most once. The
    /// Redis store answers from the narrowest index the selector names, so the cost follows the matches.
    /// </summary>
    IAsyncEnumerable<string> FindTaskIdsAsync(RevocationSelector selector, CancellationToken cancellationToken);

    /// <summary>
    /// Records a bulk revocation, or replaces its stored progress. The quarantine lift is not part of it (see
    /// <see cref="LiftQuarantineAsync"/>): a progress write never undoes a lift, whatever copy it was made from.
    /// </summary>
    ValueTask SaveRevocationAsync(BulkRevocation revocation, CancellationToken cancellationToken);

    /// <summary>
    /// Records that the revocation's quarantine was lifted, as a field of its own: the first lift stands. Returns the
    /// revocation as stored afterwards, or <see langword="null"/> when there is no such revocation.
    /// </summary>
    ValueTask<BulkRevocation?> LiftQuarantineAsync(string id, DateTimeOffset at, string by, CancellationToken cancellationToken);

    /// <summary>A bulk revocation, or <see langword="null"/>.</summary>
    ValueTask<BulkRevocation?> GetRevocationAsync(string id, CancellationToken cancellationToken);

    /// <summary>The revocations still in force: running, quarantining, or young enough to act as a rule (requested after <paramref name="since"/>).</summary>
    ValueTask<IReadOnlyList<BulkRevocation>> ListActiveRevocationsAsync(DateTimeOffset since, CancellationToken cancellationToken);

    /// <summary>Adds credentials to a revocation's matches (duplicates are ignored).</summary>
    ValueTask AddMatchesAsync(string revocationId, IReadOnlyList<CredentialRef> matches, CancellationToken cancellationToken);

    /// <summary>A revocation's matched credentials.</summary>
    ValueTask<IReadOnlyList<CredentialRef>> ReadMatchesAsync(string revocationId, CancellationToken cancellationToken);

    /// <summary>Takes or renews the lease <paramref name="name"/> for <paramref name="owner"/>; <see langword="false"/> while someone else holds it.</summary>
    ValueTask<bool> TryLeaseAsync(string name, string owner, TimeSpan lease, CancellationToken cancellationToken);

    /// <summary>Records an incident, or replaces it.</summary>
    ValueTask SaveIncidentAsync(Incident incident, CancellationToken cancellationToken);

    /// <summary>
    /// Links a bulk revocation to an incident (a field of its own: linking never rewrites the incident). Returns
    /// <see langword="false"/> when there is no such incident.
    /// </summary>
    ValueTask<bool> LinkRevocationAsync(string incidentId, string revocationId, DateTimeOffset requestedAt, CancellationToken cancellationToken);

    /// <summary>An incident with its linked revocations, or <see langword="null"/>.</summary>
    ValueTask<Incident?> GetIncidentAsync(string id, CancellationToken cancellationToken);

    /// <summary>Every incident with its linked revocations, newest first.</summary>
    ValueTask<IReadOnlyList<Incident>> ListIncidentsAsync(CancellationToken cancellationToken);

    /// <summary>Remembers <paramref name="key"/> for <paramref name="lifetime"/>; <see langword="false"/> when it was already remembered (a replay).</summary>
    ValueTask<bool> RememberOnceAsync(string key, TimeSpan lifetime, CancellationToken cancellationToken);
}
