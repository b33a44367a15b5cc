namespace CredentialBroker.Abstractions.Secrets;

/// <summary>A secret about to be issued: what is recorded before the backend is called.</summary>
/// <param name="Target">The provider.</param>
/// <param name="Jti">The <c>jti</c> of the secret's credential record.</param>
/// <param name="Username">The broker-generated login, if the kind has one.</param>
/// <param name="ExpiresAt">When the secret must stop working.</param>
public sealed record SecretPlan(SecretTarget Target, string Jti, string? Username, DateTimeOffset ExpiresAt);
