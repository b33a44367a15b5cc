namespace CredentialBroker.Core.ProofOfPossession;

/// <summary>Why a request does not prove possession of a credential's key (<see cref="Possession.Check"/>).</summary>
public enum PossessionFailure
{
    /// <summary>No DPoP proof, or no client certificate, where the binding needs one.</summary>
    NoProof,

    /// <summary>A proof of another key, or another certificate.</summary>
    OtherKey,

    /// <summary>A DPoP proof of the right key whose <c>ath</c> does not cover the token (it has none).</summary>
    TokenNotCovered,
}
