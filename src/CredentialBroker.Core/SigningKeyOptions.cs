namespace CredentialBroker.Core;

/// <summary>One broker signing key, loaded from a file.</summary>
public sealed class SigningKeyOptions
{
    /// <summary>Path of a PEM (PKCS#8 or SEC1 EC private key) or JWK file holding a P-256 private key. Required.</summary>
    public string? Path { get; set; }

    /// <summary>The <c>kid</c>; defaults to the RFC 7638 thumbprint of the public key.</summary>
    public string? KeyId { get; set; }
}
