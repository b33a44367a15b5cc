namespace CredentialBroker.Abstractions.Storage;

/// <summary>
/// What the broker records about a downstream secret — enough to revoke it and prove it dead, never the secret itself.
/// </summary>
/// <param name="Provider">The configured provider that issued it.</param>
/// <param name="ProviderKind">The provider's kind: <c>postgresql</c>, <c>redis</c> or <c>vault</c>.</param>
/// <param name="Username">The broker-generated login (a PostgreSQL role, a Redis ACL user); <see langword="null"/> for Vault.</param>
/// <param name="LeaseId">The Vault lease id, once known; <see langword="null"/> for other kinds and before issue.</param>
public sealed record SecretReference(string Provider, string ProviderKind, string? Username, string? LeaseId);
