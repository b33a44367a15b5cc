namespace CredentialBroker.Core.Revocation;

/// <summary>The outcome of an RFC 7009 revocation request.</summary>
public enum RevocationOutcome
{
    /// <summary>Done: the token and its subtree are revoked — or there was nothing to revoke (garbage, unknown, expired, already revoked).</summary>
    Revoked,

    /// <summary>The token belongs to someone else: the caller is not its holder, its task's orchestrator, or the SOC.</summary>
    NotEntitled,

    /// <summary>The caller holds the token, which is bound to a key the request does not prove (no proof, another key).</summary>
    KeyNotProven,

    /// <summary>The caller holds the token, and the DPoP proof of its key does not cover it (no <c>ath</c>).</summary>
    ProofNotCoveringToken,
}
