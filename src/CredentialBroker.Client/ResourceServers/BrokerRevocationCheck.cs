namespace CredentialBroker.Client.ResourceServers;

/// <summary>How a resource server learns that a broker token was revoked.</summary>
public enum BrokerRevocationCheck
{
    /// <summary>
    /// Follow the broker's revocation feed (Server-Sent Events) and refuse what it names; while the feed is behind,
    /// introspect each token. Revocations arrive within about a second.
    /// </summary>
    Feed,

    /// <summary>
    /// Read the Token Status List each token names (<c>status.status_list</c>, draft-ietf-oauth-status-list): fetched from
    /// the broker, verified against its JWKS and cached for the list's <c>ttl</c>. No connection is held open and no caller
    /// credential is needed for it, but a revocation reaches this server only within the broker's <c>StatusListTimeToLive</c>
    /// (twice it at most: the broker's copy and this server's). A list that cannot be fetched is used until its <c>exp</c>;
    /// past it every token naming it is refused.
    /// </summary>
    StatusList,
}
