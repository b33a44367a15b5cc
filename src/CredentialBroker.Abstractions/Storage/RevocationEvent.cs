namespace CredentialBroker.Abstractions.Storage;

/// <summary>One entry of the revocation feed: a credential that resource servers must stop accepting.</summary>
/// <param name="Id">The feed's id (the SSE event id); empty before it is appended.</param>
/// <param name="Jti">The credential.</param>
/// <param name="TaskId">Its task.</param>
/// <param name="ExpiresAt">Its expiry: a deny-list entry can be dropped after it (plus clock skew).</param>
/// <param name="Reason">Why (<see cref="RevocationReasons"/>).</param>
/// <param name="RevokedAt">When the broker recorded the revocation (for TTL expiry, the expiry time).</param>
public sealed record RevocationEvent(string Id, string Jti, string TaskId, DateTimeOffset ExpiresAt, string Reason, DateTimeOffset RevokedAt);
