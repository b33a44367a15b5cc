namespace CredentialBroker.Core.ProofOfPossession;

/// <summary>A DPoP proof that passed every check of RFC 9449 §4.3: the key it proves possession of, and what it covers.</summary>
/// <param name="Jkt">The RFC 7638 SHA-256 thumbprint of the proof's public key (base64url): what a <c>cnf.jkt</c> binding names.</param>
/// <param name="CoversToken">Whether the proof's <c>ath</c> is the hash of the token it accompanies (required to use a key-bound token).</param>
public sealed record DpopProof(string Jkt, bool CoversToken);
