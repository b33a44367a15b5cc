namespace CredentialBroker.Core.Tokens;

/// <summary>Why a token failed <see cref="JwtShape.Check(string?, int, bool)"/>.</summary>
public enum JwtShapeFailure
{
    /// <summary>No token at all.</summary>
    Empty,

    /// <summary>Longer than the configured cap.</summary>
    TooLarge,

    /// <summary>Wrong segment count, bad base64url, invalid UTF-8 or JSON, duplicate members, or too deep.</summary>
    Malformed,

    /// <summary>A JWE or other serialization where a compact JWS is expected.</summary>
    NotACompactJws,

    /// <summary>A header member that would let the token pick its own key or processing.</summary>
    ForbiddenHeader,

    /// <summary>A registered claim of the wrong JSON type.</summary>
    BadClaimType,
}
