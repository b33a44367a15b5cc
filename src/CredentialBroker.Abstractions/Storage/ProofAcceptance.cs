namespace CredentialBroker.Abstractions.Storage;

/// <summary>The outcome of <see cref="IProofReplayStore.AcceptProofAsync"/>.</summary>
public enum ProofAcceptance
{
    /// <summary>First use of the proof, with a current nonce (if any): it is now remembered.</summary>
    Accepted,

    /// <summary>The proof was used before.</summary>
    Replayed,

    /// <summary>The nonce is not one the broker handed out, or it has expired.</summary>
    UnknownNonce,
}
