namespace CredentialBroker.Abstractions.Identity;

/// <summary>An authenticated caller: who it is (cryptographically), what it may do, and how it proved it.</summary>
/// <param name="Id">The caller's SPIFFE ID.</param>
/// <param name="Roles">The roles configuration binds to that ID.</param>
/// <param name="Method">How the caller authenticated.</param>
/// <param name="CredentialExpiresAt">When the credential the caller presented expires.</param>
public sealed record CallerIdentity(SpiffeId Id, BrokerRoles Roles, CallerAuthenticationMethod Method, DateTimeOffset CredentialExpiresAt)
{
    /// <summary>
    /// The SHA-256 thumbprint (base64url) of the X.509-SVID the caller authenticated with over mutual TLS, or
    /// <see langword="null"/> for any other method: the proof of possession an RFC 8705 <c>x5t#S256</c> binding asks for.
    /// </summary>
    public string? CertificateThumbprint { get; init; }

    /// <summary>Whether the caller holds any of <paramref name="roles"/>.</summary>
    public bool HasAnyRole(BrokerRoles roles) => (Roles & roles) != 0;
}
