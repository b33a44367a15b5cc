namespace CredentialBroker.Core.Tokens;

/// <summary>Why a JWT was rejected. The names are stable: they appear in logs and metrics, never with token material.</summary>
public enum JwtValidationFailure
{
    /// <summary>Failed <see cref="JwtShape"/>: malformed, oversized, JWE, forbidden header, duplicate members, bad claim types.</summary>
    Malformed,

    /// <summary>The <c>typ</c> header is not the kind expected here.</summary>
    WrongType,

    /// <summary>The algorithm is off the allow-list or does not fit the key.</summary>
    BadAlgorithm,

    /// <summary>No trusted key has the token's <c>kid</c> (or the token has none).</summary>
    UnknownKey,

    /// <summary>The signature does not verify.</summary>
    BadSignature,

    /// <summary>The issuer is not exactly the expected one.</summary>
    WrongIssuer,

    /// <summary>The audience does not name the expected recipient.</summary>
    WrongAudience,

    /// <summary>No <c>exp</c>, or it has passed (beyond the allowed skew).</summary>
    Expired,

    /// <summary><c>nbf</c> or <c>iat</c> lies in the future beyond the allowed skew.</summary>
    NotYetValid,

    /// <summary>The token claims a lifetime longer than any this broker accepts.</summary>
    LifetimeTooLong,

    /// <summary>The subject is not a valid SPIFFE ID, or its trust domain has no trust bundle.</summary>
    UntrustedSubject,
}
