namespace CredentialBroker.Downstream.Providers;

/// <summary>
/// One configured downstream secrets backend (a PostgreSQL server, a Redis deployment, a Vault mount and role),
/// serving one resource. The broker drives it in a fixed order that makes a crash at any point recoverable:
/// <list type="number">
/// <item><see cref="Plan"/> names the secret (broker-generated, never from request input);</item>
/// <item>the broker records the plan under the parent credential — before anything exists downstream;</item>
/// <item><see cref="IssueAsync"/> creates it and returns the secret, once; the password is never stored or logged;</item>
/// <item>on any revocation trigger, <see cref="RevokeAsync"/> destroys it and <see cref="VerifyRevokedAsync"/> proves it is dead.</item>
/// </list>
/// <see cref="RevokeAsync"/> must be idempotent and safe for a plan whose issue never ran, failed halfway or timed out
/// with an unknown outcome. Exception messages must never carry a secret: the revoker stores them as the last error.
/// </summary>
public interface ISecretProvider
{
    /// <summary>The configured provider name (the key under <c>CredentialBroker:Downstream:Providers</c>).</summary>
    string Name { get; }

    /// <summary>The provider kind: <c>postgresql</c>, <c>redis</c> or <c>vault</c>.</summary>
    string Kind { get; }

    /// <summary>The resource (grant destination, exchange audience) this provider serves, e.g. <c>postgres://payments</c>.</summary>
    string Resource { get; }

    /// <summary>The longest lifetime of a secret from this provider (never beyond its parent credential either).</summary>
    TimeSpan MaxTtl { get; }

    /// <summary>Names a new secret for the record the broker writes before calling <see cref="IssueAsync"/>. No I/O.</summary>
    /// <param name="id">The <c>jti</c> of the secret's credential record.</param>
    /// <param name="expiresAt">When the secret must stop working (whole seconds).</param>
    SecretHandle Plan(string id, DateTimeOffset expiresAt);

    /// <summary>Creates the planned secret downstream and returns it (with its password, returned once).</summary>
    /// <exception cref="DownstreamException">The backend refused or could not be reached; nothing usable was issued.</exception>
    ValueTask<IssuedSecret> IssueAsync(SecretHandle plan, CancellationToken cancellationToken);

    /// <summary>Destroys the secret downstream (idempotent: a secret that does not exist is already revoked).</summary>
    /// <exception cref="DownstreamException">The backend could not be reached or refused; the revoker retries.</exception>
    ValueTask RevokeAsync(SecretHandle handle, CancellationToken cancellationToken);

    /// <summary>Probes the backend and answers whether the secret no longer works.</summary>
    /// <returns><see langword="true"/> only when the backend itself refused the secret; <see langword="false"/> when it still exists or works.</returns>
    /// <exception cref="DownstreamException">The backend could not be reached: nothing can be said yet (the revoker asks again).</exception>
    ValueTask<bool> VerifyRevokedAsync(SecretHandle handle, CancellationToken cancellationToken);

    /// <summary>What the provider is, for operators (never a secret).</summary>
    ProviderDescription Describe();
}
