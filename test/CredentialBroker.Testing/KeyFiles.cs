using System.Security.Cryptography;

namespace CredentialBroker.Testing;

/// <summary>Writes key files the way operators provide them.</summary>
public static class KeyFiles
{
    /// <summary>Writes a fresh P-256 private key as PKCS#8 PEM to a temp file and returns its path.</summary>
    public static string WriteEs256Pem()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var path = Path.Combine(Directory.CreateTempSubdirectory("cb-key-").FullName, "signing.pem");
        File.WriteAllText(path, key.ExportPkcs8PrivateKeyPem());
        return path;
    }
}
