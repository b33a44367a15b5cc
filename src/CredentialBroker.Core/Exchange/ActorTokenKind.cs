namespace CredentialBroker.Core.Exchange;

/// <summary>How a delegation names its sub-agent (<c>actor_token_type</c>). Neither form hands the delegating agent a credential for the broker.</summary>
public enum ActorTokenKind
{
    /// <summary>
    /// A JWT-SVID of the sub-agent whose audience is the delegating agent's SPIFFE ID: the sub-agent's consent, useless at
    /// the broker. A <c>cnf</c> in it (<c>jkt</c> or <c>x5t#S256</c>) binds the delegated token to that key too.
    /// </summary>
    JwtSvid,

    /// <summary>The sub-agent's SPIFFE ID (<c>urn:credentialbroker:token-type:spiffe-id</c>): the task's <c>mayAct</c> is the consent.</summary>
    SpiffeId,
}
