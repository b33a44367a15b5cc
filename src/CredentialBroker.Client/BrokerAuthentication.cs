namespace CredentialBroker.Client;

/// <summary>How a client proves its workload identity to the broker.</summary>
public enum BrokerAuthentication
{
    /// <summary>A JWT-SVID whose audience is the broker's issuer URL, sent as <c>Authorization: Bearer</c> (the default).</summary>
    JwtSvid = 0,

    /// <summary>The X.509-SVID as the TLS client certificate (mutual TLS; the broker must serve HTTPS and have an X.509 bundle for the trust domain).</summary>
    X509Svid = 1,
}
