namespace CredentialBroker.Abstractions.Storage;

/// <summary>Which rule of which policy version allowed a credential, kept for the audit trail.</summary>
/// <param name="Rules">The deciding rule ids (comma-separated when several grants were decided).</param>
/// <param name="Version">The policy version hash.</param>
public sealed record PolicyReference(string Rules, string Version);
