namespace CredentialBroker.Downstream.Providers;

/// <summary>A secret just created downstream, as returned to the agent once (API.md "Downstream secrets").</summary>
/// <param name="Handle">What the broker records (with the Vault lease id filled in).</param>
/// <param name="Secret">The secret itself: a password, or a Vault lease's secret value; returned once, never stored or logged.</param>
/// <param name="Fields">
/// The members of the response's <c>secret</c> object beside <c>kind</c>, <c>id</c>, <c>resource</c> and <c>expiresAt</c>:
/// for PostgreSQL <c>host</c>, <c>port</c>, <c>database</c>, <c>username</c>, <c>password</c>; for Redis <c>endpoints</c>,
/// <c>username</c>, <c>password</c>; for Vault <c>leaseId</c>, <c>leaseDuration</c>, <c>data</c>. Values are strings, numbers,
/// string arrays or string dictionaries.
/// </param>
public sealed record IssuedSecret(SecretHandle Handle, string Secret, IReadOnlyDictionary<string, object> Fields);
