namespace CredentialBroker.Client.ResourceServers;

/// <summary>A revocation delivered by the broker's feed.</summary>
/// <param name="Jti">The revoked credential's <c>jti</c>.</param>
/// <param name="ExpiresAt">Its <c>exp</c>: it stays on the deny list until then plus clock skew.</param>
/// <param name="TaskId">The task it belonged to.</param>
/// <param name="Reason">Why it was revoked (<c>task_completed</c>, <c>task_state</c>, <c>ttl_expired</c>, …).</param>
/// <param name="RevokedAt">When the broker recorded the revocation.</param>
public sealed record RevokedCredential(string Jti, DateTimeOffset ExpiresAt, string? TaskId, string? Reason, DateTimeOffset? RevokedAt);
