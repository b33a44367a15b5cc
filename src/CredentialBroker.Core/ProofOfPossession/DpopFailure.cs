namespace CredentialBroker.Core.ProofOfPossession;

/// <summary>Why a DPoP proof was refused (RFC 9449 §4.3). The names are stable: they appear in logs, never with proof material.</summary>
public enum DpopFailure
{
    /// <summary>Not exactly one <c>DPoP</c> header.</summary>
    NotOneProof,

    /// <summary>Not a well-formed compact JWS with a <c>jwk</c> header, or a required claim is missing or of the wrong type.</summary>
    Malformed,

    /// <summary><c>typ</c> is not <c>dpop+jwt</c>.</summary>
    WrongType,

    /// <summary>The algorithm is <c>none</c>, symmetric, off the allow-list, or does not fit the key.</summary>
    BadAlgorithm,

    /// <summary>The <c>jwk</c> is not a supported public key: a private or symmetric key, an unknown key type, a short RSA key.</summary>
    BadKey,

    /// <summary>The signature does not verify with the embedded key.</summary>
    BadSignature,

    /// <summary><c>htm</c> is not the request's method.</summary>
    WrongMethod,

    /// <summary><c>htu</c> is not the request's URI (without query and fragment).</summary>
    WrongUri,

    /// <summary><c>iat</c> is older than the proof may be.</summary>
    Stale,

    /// <summary><c>iat</c> lies in the future beyond the allowed skew.</summary>
    Future,

    /// <summary><c>ath</c> is not the hash of the token the proof accompanies.</summary>
    WrongTokenHash,

    /// <summary>The proof was used before.</summary>
    Replayed,

    /// <summary>No nonce where one is required, or one the broker did not hand out or that has expired.</summary>
    NonceRequired,
}
