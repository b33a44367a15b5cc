namespace CredentialBroker.Core.Exchange;

/// <summary>Token type identifiers of RFC 8693 §3 and the broker's own task token type.</summary>
public static class TokenTypeUris
{
    /// <summary>An OAuth access token.</summary>
    public const string AccessToken = "urn:ietf:params:oauth:token-type:access_token";

    /// <summary>A JWT.</summary>
    public const string Jwt = "urn:ietf:params:oauth:token-type:jwt";

    /// <summary>A refresh token (not supported).</summary>
    public const string RefreshToken = "urn:ietf:params:oauth:token-type:refresh_token";

    /// <summary>An ID token (not supported).</summary>
    public const string IdToken = "urn:ietf:params:oauth:token-type:id_token";

    /// <summary>A SAML 1.1 assertion (not supported).</summary>
    public const string Saml1 = "urn:ietf:params:oauth:token-type:saml1";

    /// <summary>A SAML 2.0 assertion (not supported).</summary>
    public const string Saml2 = "urn:ietf:params:oauth:token-type:saml2";

    /// <summary>A Transaction Token (draft-ietf-oauth-transaction-tokens-10 §9.1).</summary>
    public const string TxnToken = "urn:ietf:params:oauth:token-type:txn_token";

    /// <summary>A CredentialBroker (delegated) task token.</summary>
    public const string Task = "urn:credentialbroker:token-type:task";

    /// <summary>A downstream secret issued for a task (a PostgreSQL role, a Redis ACL user, a Vault lease).</summary>
    public const string Secret = "urn:credentialbroker:token-type:secret";

    /// <summary>An actor named by its SPIFFE ID (delegation without handing over any credential).</summary>
    public const string SpiffeId = "urn:credentialbroker:token-type:spiffe-id";

    /// <summary>The token-exchange grant type.</summary>
    public const string TokenExchangeGrant = "urn:ietf:params:oauth:grant-type:token-exchange";
}
