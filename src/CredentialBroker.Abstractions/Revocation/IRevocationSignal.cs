namespace CredentialBroker.Abstractions.Revocation;

/// <summary>
/// Tells the revoker that new work was enqueued, so it starts now instead of at its next poll. Only a hint:
/// the work is durable in the store, and the revoker polls anyway.
/// </summary>
public interface IRevocationSignal
{
    /// <summary>New revocation work is waiting.</summary>
    void WorkAvailable();
}
