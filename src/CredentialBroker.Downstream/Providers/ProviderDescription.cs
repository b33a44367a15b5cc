namespace CredentialBroker.Downstream.Providers;

/// <summary>What a provider is, for operators and <c>brokerctl</c>: never a secret or a password.</summary>
/// <param name="Name">The configured name.</param>
/// <param name="Kind"><c>postgresql</c>, <c>redis</c> or <c>vault</c>.</param>
/// <param name="Resource">The resource it serves.</param>
/// <param name="Target">Where it issues (host:port and database, endpoints, or Vault address, mount and role), without credentials.</param>
/// <param name="Grants">What an issued secret may do (member roles, ACL rules, Vault role).</param>
public sealed record ProviderDescription(string Name, string Kind, string Resource, string Target, string Grants);
