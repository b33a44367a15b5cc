namespace CredentialBroker.Abstractions.Secrets;

/// <summary>A configured provider, as issuance and policy see it.</summary>
/// <param name="Provider">The provider's configured name.</param>
/// <param name="Kind"><c>postgresql</c>, <c>redis</c> or <c>vault</c>: a policy fact.</param>
/// <param name="Resource">The resource it serves.</param>
/// <param name="MaxTtl">The longest lifetime of its secrets.</param>
public sealed record SecretTarget(string Provider, string Kind, string Resource, TimeSpan MaxTtl);
