using System.Security.Cryptography;
using System.Text;
using Microsoft.IdentityModel.Tokens;

namespace CredentialBroker.Core.Tokens;

/// <summary>An ES256 key the broker signs with, and its public half as published in the JWKS.</summary>
public sealed class SigningKey
{
    /// <summary>Wraps a P-256 private key. <paramref name="keyId"/> defaults to the RFC 7638 thumbprint of the public key.</summary>
    /// <param name="privateKey">The key.</param>
    /// <param name="keyId">The <c>kid</c>.</param>
    /// <param name="notBefore">When the key starts signing; <see langword="null"/> for "from the start".</param>
    public SigningKey(ECDsa privateKey, string? keyId = null, DateTimeOffset? notBefore = null)
    {
        NotBefore = notBefore;
        ArgumentNullException.ThrowIfNull(privateKey);
        if (privateKey.KeySize != 256)
        {
            throw new ArgumentException("Broker signing keys are P-256 (ES256).", nameof(privateKey));
        }

        var publicParameters = privateKey.ExportParameters(includePrivateParameters: false);
        KeyId = string.IsNullOrEmpty(keyId) ? Thumbprint(publicParameters) : keyId;
        Credentials = new SigningCredentials(new ECDsaSecurityKey(privateKey) { KeyId = KeyId }, SecurityAlgorithms.EcdsaSha256);
        VerificationKey = new ECDsaSecurityKey(ECDsa.Create(publicParameters)) { KeyId = KeyId };
        PublicJwk = new JsonWebKey
        {
            Kty = JsonWebAlgorithmsKeyTypes.EllipticCurve,
            Crv = JsonWebKeyECTypes.P256,
            X = Base64UrlEncoder.Encode(publicParameters.Q.X),
            Y = Base64UrlEncoder.Encode(publicParameters.Q.Y),
            Kid = KeyId,
            Alg = SecurityAlgorithms.EcdsaSha256,
            Use = JsonWebKeyUseNames.Sig,
        };
    }

    /// <summary>When the key starts signing; <see langword="null"/> for "from the start".</summary>
    public DateTimeOffset? NotBefore { get; }

    /// <summary>The <c>kid</c> this key's tokens carry.</summary>
    public string KeyId { get; }

    /// <summary>What <c>JsonWebTokenHandler</c> signs with.</summary>
    public SigningCredentials Credentials { get; }

    /// <summary>The public key, for verifying the broker's own tokens.</summary>
    public SecurityKey VerificationKey { get; }

    /// <summary>The public key as a JWK for <c>/.well-known/jwks.json</c>.</summary>
    public JsonWebKey PublicJwk { get; }

    /// <summary>Creates a fresh random key (development mode, tests).</summary>
    public static SigningKey Generate(string? keyId = null) => new(ECDsa.Create(ECCurve.NamedCurves.nistP256), keyId);

    /// <summary>The RFC 7638 JWK thumbprint (SHA-256, base64url) of a P-256 public key.</summary>
    public static string Thumbprint(ECParameters publicKey)
    {
        var canonical = $"{{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"{Base64UrlEncoder.Encode(publicKey.Q.X)}\",\"y\":\"{Base64UrlEncoder.Encode(publicKey.Q.Y)}\"}}";
        return Base64UrlEncoder.Encode(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)));
    }
}
