namespace CredentialBroker.Core.Exchange;

/// <summary>What a token exchange asks for (<c>requested_token_type</c>).</summary>
public enum RequestedToken
{
    /// <summary>A downstream access token for one resource (RFC 9068), the default.</summary>
    AccessToken,

    /// <summary>A delegated task token for a sub-agent.</summary>
    DelegatedTask,

    /// <summary>A downstream secret (a PostgreSQL role, a Redis ACL user, a Vault lease) for one resource.</summary>
    Secret,

    /// <summary>A Transaction Token (draft-ietf-oauth-transaction-tokens-10) for one call chain within the trust domain.</summary>
    TransactionToken,
}
