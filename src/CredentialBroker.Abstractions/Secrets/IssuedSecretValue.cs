namespace CredentialBroker.Abstractions.Secrets;

/// <summary>A secret just created downstream.</summary>
/// <param name="Secret">The secret itself (a password, or a Vault lease's secret value): returned once, never stored or logged.</param>
/// <param name="LeaseId">The Vault lease id, recorded with the credential; <see langword="null"/> for other kinds.</param>
/// <param name="Fields">
/// The response's <c>secret</c> members beside <c>kind</c>, <c>id</c>, <c>resource</c> and <c>expiresAt</c> (API.md
/// "Downstream secrets"): strings, numbers, string arrays or string dictionaries.
/// </param>
public sealed record IssuedSecretValue(string Secret, string? LeaseId, IReadOnlyDictionary<string, object> Fields);
