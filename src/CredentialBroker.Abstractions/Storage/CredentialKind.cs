namespace CredentialBroker.Abstractions.Storage;

/// <summary>What kind of credential the broker issued. Wire names: <c>task</c>, <c>delegated</c>, <c>access_token</c>, <c>secret</c>, <c>txn_token</c>.</summary>
public enum CredentialKind
{
    /// <summary>A task token issued to the task's agent.</summary>
    Task,

    /// <summary>A task token delegated to a sub-agent.</summary>
    Delegated,

    /// <summary>A downstream access token.</summary>
    AccessToken,

    /// <summary>A downstream secret (database role, Redis ACL user, Vault lease).</summary>
    Secret,

    /// <summary>A Transaction Token (draft-ietf-oauth-transaction-tokens) for one call chain of the task.</summary>
    TxnToken,
}
