using System.Security.Cryptography;

namespace CredentialBroker.Testing;

/// <summary>Writes key files the way operators provide them.</summary>
public static class KeyFiles
{
    /// <summary>Writes a fresh P-256 private key as PKCS#8 PEM to a temp file and returns its path.</summary>
    public static string WriteEs256Pem()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var path = Path.Combine(Scratch.CreateDirectory("cb-key-").FullName, "signing.pem");
        File.WriteAllText(path, key.ExportPkcs8PrivateKeyPem());
        return path;
    }

    /// <summary>Writes a fresh P-256 private key as a JWK (with <c>d</c>) to a temp file and returns its path.</summary>
    public static string WriteEs256Jwk()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var p = key.ExportParameters(includePrivateParameters: true);
        static string B64(byte[] bytes) => Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Encode(bytes);
        var path = Path.Combine(Scratch.CreateDirectory("cb-key-").FullName, "signing.jwk.json");
        File.WriteAllText(path, $$"""{"kty":"EC","crv":"P-256","x":"{{B64(p.Q.X!)}}","y":"{{B64(p.Q.Y!)}}","d":"{{B64(p.D!)}}"}""");
        return path;
    }
}
