namespace CredentialBroker.Core.Revocation;

/// <summary>A signed Token Status List, as served.</summary>
/// <param name="Jwt">The <c>statuslist+jwt</c>.</param>
/// <param name="IssuedAt">Its <c>iat</c>.</param>
/// <param name="FreshUntil">When its <c>ttl</c> runs out: the broker signs a fresh one after this, and caches may keep it until then.</param>
public sealed record StatusListToken(string Jwt, DateTimeOffset IssuedAt, DateTimeOffset FreshUntil);
