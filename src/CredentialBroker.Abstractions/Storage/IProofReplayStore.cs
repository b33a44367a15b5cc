namespace CredentialBroker.Abstractions.Storage;

/// <summary>
/// What every replica must agree on about DPoP proofs (RFC 9449 §11.1): which proofs were used already, and which server
/// nonces were handed out. Shared by all replicas (Redis), or in process memory for the embedded store.
/// </summary>
public interface IProofReplayStore
{
    /// <summary>
    /// Accepts a proof once: when <paramref name="nonce"/> is given it must be one recorded by <see cref="AddNonceAsync"/>
    /// and not yet expired, then <paramref name="proofKey"/> is remembered until <paramref name="forgetAt"/> unless it was
    /// remembered already. A proof refused for its nonce is not remembered (the client retries with a fresh proof).
    /// </summary>
    /// <param name="proofKey">Identifies the proof: a digest of its key's thumbprint and its <c>jti</c>.</param>
    /// <param name="nonce">The proof's <c>nonce</c>, or <see langword="null"/>.</param>
    /// <param name="forgetAt">When the proof can no longer pass the freshness check, so its key may be forgotten.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<ProofAcceptance> AcceptProofAsync(string proofKey, string? nonce, DateTimeOffset forgetAt, CancellationToken cancellationToken);

    /// <summary>Records a nonce handed out to clients, valid until <paramref name="expiresAt"/>.</summary>
    ValueTask AddNonceAsync(string nonce, DateTimeOffset expiresAt, CancellationToken cancellationToken);
}
