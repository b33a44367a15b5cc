namespace CredentialBroker.Abstractions.Identity;

/// <summary>How a caller proved its identity.</summary>
public enum CallerAuthenticationMethod
{
    /// <summary>A JWT-SVID in <c>Authorization: Bearer</c>.</summary>
    JwtSvidBearer,

    /// <summary>A JWT-SVID as an RFC 7523 <c>client_assertion</c> on an OAuth endpoint.</summary>
    JwtSvidClientAssertion,

    /// <summary>An X.509-SVID as the TLS client certificate (mutual TLS).</summary>
    X509Svid,
}
