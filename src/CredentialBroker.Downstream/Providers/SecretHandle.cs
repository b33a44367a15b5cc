namespace CredentialBroker.Downstream.Providers;

/// <summary>
/// What the broker records about a downstream secret — enough to revoke and verify it, never its password.
/// </summary>
/// <param name="Id">The <c>jti</c> of the secret's credential record.</param>
/// <param name="Provider">The provider's configured name.</param>
/// <param name="Username">The broker-generated login (PostgreSQL role, Redis ACL user); <see langword="null"/> for Vault.</param>
/// <param name="LeaseId">The Vault lease id, once known; <see langword="null"/> for other kinds.</param>
/// <param name="ExpiresAt">When the secret stops working.</param>
public sealed record SecretHandle(string Id, string Provider, string? Username, string? LeaseId, DateTimeOffset ExpiresAt);
