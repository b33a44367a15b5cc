namespace CredentialBroker.Abstractions.Storage;

/// <summary>A credential whose TTL has run out, claimed from the expiry index.</summary>
public sealed record DueCredential(string TaskId, string Jti, DateTimeOffset ExpiresAt);
