namespace CredentialBroker.Client.Agents;

/// <summary>Token type identifiers of the exchange (RFC 8693 §3, and the broker's own).</summary>
public static class TokenTypes
{
    /// <summary>A JWT: a task token as the subject; as the actor, a sub-agent's JWT-SVID addressed to the delegating agent (never to the broker).</summary>
    public const string Jwt = "urn:ietf:params:oauth:token-type:jwt";

    /// <summary>A SPIFFE ID as the actor of a delegation: the sub-agent, by name (the task's <c>mayAct</c> is the consent).</summary>
    public const string SpiffeId = "urn:credentialbroker:token-type:spiffe-id";

    /// <summary>An access token for one resource (the default requested type).</summary>
    public const string AccessToken = "urn:ietf:params:oauth:token-type:access_token";

    /// <summary>A delegated task token, for a sub-agent.</summary>
    public const string Task = "urn:credentialbroker:token-type:task";

    /// <summary>A downstream secret: a PostgreSQL login, a Redis ACL user or a Vault lease.</summary>
    public const string Secret = "urn:credentialbroker:token-type:secret";

    /// <summary>A Transaction Token (draft-ietf-oauth-transaction-tokens-10): requested, or as the subject of its replacement.</summary>
    public const string TxnToken = "urn:ietf:params:oauth:token-type:txn_token";

    internal const string TokenExchangeGrant = "urn:ietf:params:oauth:grant-type:token-exchange";
}
