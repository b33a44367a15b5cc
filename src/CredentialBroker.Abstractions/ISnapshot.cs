namespace CredentialBroker.Abstractions;

/// <summary>
/// State a replica holds in memory so that every request can consult it without a store round trip (the SOC's rules in
/// force, risk levels), reloaded from the store on a schedule so that every replica sees every replica's writes.
/// </summary>
public interface ISnapshot
{
    /// <summary>Reloads the snapshot from the store (writes this replica made meanwhile win over the older read).</summary>
    ValueTask RefreshAsync(CancellationToken cancellationToken);
}
