namespace CredentialBroker.Abstractions.Secrets;

/// <summary>
/// Issues downstream secrets (database roles, Redis ACL users, Vault leases) for the resources a provider serves. The
/// broker drives it in an order that makes a crash at any point recoverable: it <see cref="Plan"/>s the secret, records
/// the plan under the parent credential, marks it as being issued, calls <see cref="IssueAsync"/>, and only then confirms
/// the issue and answers; anything left unconfirmed is revoked downstream by the revoker.
/// </summary>
public interface ISecretIssuer
{
    /// <summary>The provider serving <paramref name="resource"/>, or <see langword="null"/> when none does.</summary>
    SecretTarget? Find(string resource);

    /// <summary>Names a new secret for the record written before anything exists downstream. No I/O.</summary>
    SecretPlan Plan(SecretTarget target, string jti, DateTimeOffset expiresAt);

    /// <summary>Creates the planned secret downstream and returns it (its secret value, returned to the caller once).</summary>
    /// <exception cref="SecretIssueException">The backend refused or could not be reached; nothing usable was issued.</exception>
    ValueTask<IssuedSecretValue> IssueAsync(SecretPlan plan, CancellationToken cancellationToken);
}
