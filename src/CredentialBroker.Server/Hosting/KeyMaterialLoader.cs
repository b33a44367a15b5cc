using System.Security.Cryptography;
using CredentialBroker.Abstractions;
using CredentialBroker.Abstractions.Identity;
using CredentialBroker.Core;
using CredentialBroker.Core.Identity;
using CredentialBroker.Core.Tokens;
using Microsoft.IdentityModel.Tokens;

namespace CredentialBroker.Server.Hosting;

/// <summary>Loads signing keys (PEM or JWK files) and trust bundles (SPIFFE bundle JWKS files) named in configuration.</summary>
internal static class KeyMaterialLoader
{
    /// <summary>Loads every configured signing key; the first one signs.</summary>
    /// <exception cref="InvalidOperationException">A file is missing or does not hold a P-256 private key.</exception>
    public static IReadOnlyList<SigningKey> LoadSigningKeys(CredentialBrokerOptions options)
    {
        var keys = new List<SigningKey>();
        var failures = new List<string>();
        for (var i = 0; i < options.SigningKeys.Count; i++)
        {
            var entry = options.SigningKeys[i];
            try
            {
                keys.Add(new SigningKey(ReadPrivateKey(entry.Path!), entry.KeyId, entry.NotBefore));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CryptographicException or ArgumentException or FormatException)
            {
                failures.Add($"{CredentialBrokerOptions.SectionName}:SigningKeys:{i} ('{entry.Path}'): {ex.Message}");
            }
        }

        return failures.Count == 0 ? keys : throw new InvalidOperationException(string.Join(Environment.NewLine, failures));
    }

    /// <summary>Loads every configured trust bundle.</summary>
    /// <exception cref="InvalidOperationException">A file is missing or is not a usable bundle.</exception>
    public static IReadOnlyList<TrustBundle> LoadTrustBundles(CredentialBrokerOptions options)
    {
        var bundles = new List<TrustBundle>();
        var failures = new List<string>();
        foreach (var (trustDomain, path) in options.TrustBundles)
        {
            try
            {
                bundles.Add(TrustBundle.FromJwks(trustDomain, File.ReadAllText(path)));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
            {
                failures.Add($"{CredentialBrokerOptions.SectionName}:TrustBundles:{trustDomain} ('{path}'): {ex.Message}");
            }
        }

        return failures.Count == 0 ? bundles : throw new InvalidOperationException(string.Join(Environment.NewLine, failures));
    }

    private static ECDsa ReadPrivateKey(string path)
    {
        var text = File.ReadAllText(path).Trim();
        var key = ECDsa.Create();
        if (text.StartsWith('{'))
        {
            var jwk = new JsonWebKey(text);
            if (jwk.Kty != JsonWebAlgorithmsKeyTypes.EllipticCurve || jwk.Crv != JsonWebKeyECTypes.P256 || string.IsNullOrEmpty(jwk.D))
            {
                throw new FormatException("the JWK is not a P-256 private key (kty EC, crv P-256, with d).");
            }

            key.ImportParameters(new ECParameters
            {
                Curve = ECCurve.NamedCurves.nistP256,
                D = Base64UrlEncoder.DecodeBytes(jwk.D),
                Q = new ECPoint { X = Base64UrlEncoder.DecodeBytes(jwk.X), Y = Base64UrlEncoder.DecodeBytes(jwk.Y) },
            });
        }
        else
        {
            key.ImportFromPem(text);
        }

        if (key.KeySize != 256)
        {
            throw new FormatException($"the key is on a {key.KeySize}-bit curve; broker signing keys are P-256 (ES256).");
        }

        // Exporting the private parameters proves the file held a private key, not only a public one.
        key.ExportParameters(includePrivateParameters: true);
        return key;
    }
}
