using System.Diagnostics.CodeAnalysis;

namespace CredentialBroker.Core.ProofOfPossession;

/// <summary>The outcome of validating a DPoP proof: the proof, or why it was refused. Expected failures are values, not exceptions.</summary>
public readonly record struct DpopValidation
{
    private DpopValidation(DpopProof? proof, DpopFailure? failure)
    {
        Proof = proof;
        Failure = failure;
    }

    /// <summary>The proof when <see cref="IsValid"/>.</summary>
    public DpopProof? Proof { get; }

    /// <summary>Why the proof was refused when not <see cref="IsValid"/>.</summary>
    public DpopFailure? Failure { get; }

    /// <summary>Whether the proof passed every check.</summary>
    [MemberNotNullWhen(true, nameof(Proof))]
    [MemberNotNullWhen(false, nameof(Failure))]
    public bool IsValid => Proof is not null;

    /// <summary>A description safe to return to the caller: it names the failed check, never proof material.</summary>
    public string? Description => Failure is { } failure ? Describe(failure) : null;

    /// <summary>A valid proof.</summary>
    public static DpopValidation Valid(DpopProof proof) => new(proof, null);

    /// <summary>A refused proof.</summary>
    public static DpopValidation Invalid(DpopFailure failure) => new(null, failure);

    /// <summary>What <paramref name="failure"/> means, for the caller.</summary>
    public static string Describe(DpopFailure failure) => failure switch
    {
        DpopFailure.NotOneProof => "Send exactly one DPoP header.",
        DpopFailure.WrongType => "The DPoP proof's typ must be dpop+jwt.",
        DpopFailure.BadAlgorithm => "The DPoP proof's algorithm is not allowed (see dpop_signing_alg_values_supported) or does not fit its key.",
        DpopFailure.BadKey => "The DPoP proof's jwk must be a public EC or RSA (2048 bits or more) key, with no private members.",
        DpopFailure.BadSignature => "The DPoP proof's signature does not verify with its jwk.",
        DpopFailure.WrongMethod => "The DPoP proof's htm is not this request's method.",
        DpopFailure.WrongUri => "The DPoP proof's htu is not this request's URI.",
        DpopFailure.Stale => "The DPoP proof is too old (iat); make a fresh one for each request.",
        DpopFailure.Future => "The DPoP proof's iat lies in the future.",
        DpopFailure.WrongTokenHash => "The DPoP proof's ath is missing or is not the hash of the token presented with it.",
        DpopFailure.Replayed => "The DPoP proof was used before (jti); make a fresh one for each request.",
        DpopFailure.NonceRequired => "The DPoP proof must carry the nonce from the DPoP-Nonce header.",
        _ => "The DPoP proof is malformed: a compact JWS with typ, alg and a jwk header, and the claims jti, htm, htu and iat.",
    };
}
