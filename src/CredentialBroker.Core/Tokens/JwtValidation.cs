using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace CredentialBroker.Core.Tokens;

/// <summary>
/// The one place JWT signatures are checked, for every kind of token the broker reads. Each check is
/// exact (no case folding, no trailing-slash forgiveness), keys come only from the caller's key lookup
/// (never from the token), and time is judged against the injected clock with a bounded skew.
/// </summary>
public static class JwtValidation
{
    private static readonly JsonWebTokenHandler Handler = new() { MaximumTokenSizeInBytes = 64 * 1024 };

    /// <summary>What a validation expects of a token.</summary>
    /// <param name="Types">Accepted <c>typ</c> values; an empty string entry accepts a token without <c>typ</c>.</param>
    /// <param name="Algorithms">The algorithm allow-list.</param>
    /// <param name="ResolveKey">Finds the verification key for a <c>kid</c>; returns <see langword="null"/> for unknown ids.</param>
    /// <param name="Issuer">The exact issuer, or <see langword="null"/> not to check it.</param>
    /// <param name="Audience">An audience that must be among the token's, or <see langword="null"/> not to check it.</param>
    /// <param name="Now">The current time.</param>
    /// <param name="ClockSkew">Tolerance for <c>exp</c>, <c>nbf</c> and <c>iat</c>.</param>
    /// <param name="MaxLifetime">How far in the future <c>exp</c> may lie.</param>
    /// <param name="CheckLifetime">Whether to check the time claims at all (revocation accepts expired tokens).</param>
    public sealed record Expectations(
        IReadOnlyCollection<string> Types,
        IReadOnlyCollection<string> Algorithms,
        Func<string?, SecurityKey?> ResolveKey,
        string? Issuer,
        string? Audience,
        DateTimeOffset Now,
        TimeSpan ClockSkew,
        TimeSpan MaxLifetime,
        bool CheckLifetime = true)
    {
        /// <summary>
        /// Whether the header carries its own public key as <c>jwk</c> (DPoP proofs only, RFC 9449): the shape check then
        /// requires it instead of refusing it, and <see cref="ResolveKey"/> returns that key. Default <see langword="false"/>.
        /// </summary>
        public bool EmbeddedJwk { get; init; }
    }

    /// <summary>Checks the token's shape (<see cref="JwtShape"/>), then its header, signature and claims against <paramref name="expect"/>.</summary>
    /// <param name="token">The compact JWS.</param>
    /// <param name="maxLength">The longest token accepted, in characters.</param>
    /// <param name="expect">What the token must satisfy.</param>
    public static async ValueTask<JwtValidationResult> ValidateAsync(string? token, int maxLength, Expectations expect)
    {
        ArgumentNullException.ThrowIfNull(expect);
        if (JwtShape.Check(token, maxLength, expect.EmbeddedJwk) is not null)
        {
            return JwtValidationResult.Invalid(JwtValidationFailure.Malformed);
        }

        JsonWebToken jwt;
        try
        {
            jwt = new JsonWebToken(token);
        }
        catch (ArgumentException)
        {
            return JwtValidationResult.Invalid(JwtValidationFailure.Malformed);
        }

        var (preflight, key) = Preflight(jwt, expect);
        if (preflight is not null)
        {
            return JwtValidationResult.Invalid(preflight.Value);
        }

        // A token verified before with this very key is not verified again (VerifiedSignatures); DPoP proofs are used once.
        var now = expect.Now.ToUnixTimeSeconds();
        var digest = expect.EmbeddedJwk ? default : VerifiedSignatures.DigestOf(token!);
        var remembered = !expect.EmbeddedJwk && VerifiedSignatures.Contains(digest, key!, now);
        if (!remembered)
        {
            var failure = await VerifySignatureAsync(jwt, key!, expect).ConfigureAwait(false);
            if (failure is not null)
            {
                return JwtValidationResult.Invalid(failure.Value);
            }

            if (!expect.EmbeddedJwk && jwt.TryGetPayloadValue<double>(JwtRegisteredClaimNames.Exp, out var exp) && exp >= now)
            {
                VerifiedSignatures.Add(digest, key!, (long)Math.Min(exp, now + expect.MaxLifetime.TotalSeconds), now);
            }
        }

        return expect.CheckLifetime && CheckLifetime(jwt, expect) is { } lifetimeFailure
            ? JwtValidationResult.Invalid(lifetimeFailure)
            : JwtValidationResult.Valid(jwt);
    }

    private static async ValueTask<JwtValidationFailure?> VerifySignatureAsync(JsonWebToken jwt, SecurityKey key, Expectations expect)
    {
        var parameters = new TokenValidationParameters
        {
            ValidateIssuer = false,
            ValidateAudience = false,
            ValidateLifetime = false,
            ValidateIssuerSigningKey = false,
            RequireSignedTokens = true,
            RequireExpirationTime = false,
            TryAllIssuerSigningKeys = false,
            ValidAlgorithms = expect.Algorithms,
            AlgorithmValidator = (algorithm, signingKey, _, _) => expect.Algorithms.Contains(algorithm) && KeyAlgorithms.Fits(algorithm, signingKey),
            IssuerSigningKeyResolver = (_, _, _, _) => [key],
            TypeValidator = (type, _, _) => type,
            SaveSigninToken = false,
            LogValidationExceptions = false,
        };

        var result = await Handler.ValidateTokenAsync(jwt, parameters).ConfigureAwait(false);
        return result.IsValid ? null : result.Exception switch
        {
            SecurityTokenSignatureKeyNotFoundException => JwtValidationFailure.UnknownKey,
            SecurityTokenInvalidAlgorithmException => JwtValidationFailure.BadAlgorithm,
            _ => JwtValidationFailure.BadSignature,
        };
    }

    // Cheap checks before any cryptography: type, algorithm, key, issuer and audience.
    private static (JwtValidationFailure? Failure, SecurityKey? Key) Preflight(JsonWebToken jwt, Expectations expect)
    {
        var type = jwt.Typ ?? string.Empty;
        if (!expect.Types.Contains(type, StringComparer.OrdinalIgnoreCase))
        {
            return (JwtValidationFailure.WrongType, null);
        }

        if (!expect.Algorithms.Contains(jwt.Alg, StringComparer.Ordinal))
        {
            return (JwtValidationFailure.BadAlgorithm, null);
        }

        var key = expect.ResolveKey(string.IsNullOrEmpty(jwt.Kid) ? null : jwt.Kid);
        if (key is null)
        {
            return (JwtValidationFailure.UnknownKey, null);
        }

        if (!KeyAlgorithms.Fits(jwt.Alg, key))
        {
            return (JwtValidationFailure.BadAlgorithm, null);
        }

        if (expect.Issuer is not null && !string.Equals(jwt.Issuer, expect.Issuer, StringComparison.Ordinal))
        {
            return (JwtValidationFailure.WrongIssuer, null);
        }

        if (expect.Audience is not null && !jwt.Audiences.Contains(expect.Audience, StringComparer.Ordinal))
        {
            return (JwtValidationFailure.WrongAudience, null);
        }

        return (null, key);
    }

    private static JwtValidationFailure? CheckLifetime(JsonWebToken jwt, Expectations expect)
    {
        var now = expect.Now.ToUnixTimeMilliseconds() / 1000.0;
        var skew = expect.ClockSkew.TotalSeconds;
        if (!jwt.TryGetPayloadValue<double>(JwtRegisteredClaimNames.Exp, out var exp) || now > exp + skew)
        {
            return JwtValidationFailure.Expired;
        }

        if (exp - now > expect.MaxLifetime.TotalSeconds + skew)
        {
            return JwtValidationFailure.LifetimeTooLong;
        }

        if (jwt.TryGetPayloadValue<double>(JwtRegisteredClaimNames.Nbf, out var nbf) && nbf > now + skew)
        {
            return JwtValidationFailure.NotYetValid;
        }

        if (jwt.TryGetPayloadValue<double>(JwtRegisteredClaimNames.Iat, out var iat) && iat > now + skew)
        {
            return JwtValidationFailure.NotYetValid;
        }

        return null;
    }
}
