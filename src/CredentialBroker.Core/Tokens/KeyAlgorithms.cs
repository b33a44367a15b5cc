using System.Security.Cryptography;
using Microsoft.IdentityModel.Tokens;

namespace CredentialBroker.Core.Tokens;

/// <summary>Which JWS algorithm fits which key: a P-256 key signs ES256 and nothing else (RFC 8725 §3.1).</summary>
public static class KeyAlgorithms
{
    /// <summary>The algorithms the broker can verify at all; configuration narrows this list.</summary>
    public static readonly IReadOnlyList<string> Supported =
        [SecurityAlgorithms.EcdsaSha256, SecurityAlgorithms.EcdsaSha384, SecurityAlgorithms.EcdsaSha512,
         SecurityAlgorithms.RsaSha256, SecurityAlgorithms.RsaSha384, SecurityAlgorithms.RsaSha512,
         SecurityAlgorithms.RsaSsaPssSha256, SecurityAlgorithms.RsaSsaPssSha384, SecurityAlgorithms.RsaSsaPssSha512];

    /// <summary>Whether <paramref name="algorithm"/> may be used with <paramref name="key"/>.</summary>
    public static bool Fits(string algorithm, SecurityKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (key is JsonWebKey { Alg: { Length: > 0 } declared } && !string.Equals(declared, algorithm, StringComparison.Ordinal))
        {
            return false;
        }

        return CurveOf(key) switch
        {
            "P-256" => algorithm == SecurityAlgorithms.EcdsaSha256,
            "P-384" => algorithm == SecurityAlgorithms.EcdsaSha384,
            "P-521" => algorithm == SecurityAlgorithms.EcdsaSha512,
            "RSA" => algorithm is SecurityAlgorithms.RsaSha256 or SecurityAlgorithms.RsaSha384 or SecurityAlgorithms.RsaSha512
                or SecurityAlgorithms.RsaSsaPssSha256 or SecurityAlgorithms.RsaSsaPssSha384 or SecurityAlgorithms.RsaSsaPssSha512,
            _ => false,
        };
    }

    private static string? CurveOf(SecurityKey key) => key switch
    {
        JsonWebKey { Kty: JsonWebAlgorithmsKeyTypes.EllipticCurve } jwk => jwk.Crv,
        JsonWebKey { Kty: JsonWebAlgorithmsKeyTypes.RSA } => "RSA",
        ECDsaSecurityKey ec => ec.ECDsa.KeySize switch { 256 => "P-256", 384 => "P-384", 521 => "P-521", _ => null },
        RsaSecurityKey => "RSA",
        _ => null,
    };

    /// <summary>The curve name (<c>P-256</c>, …) of an EC key.</summary>
    public static string CurveName(ECDsa key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return key.KeySize switch
        {
            256 => "P-256",
            384 => "P-384",
            521 => "P-521",
            _ => throw new NotSupportedException($"EC key size {key.KeySize} is not supported."),
        };
    }
}
