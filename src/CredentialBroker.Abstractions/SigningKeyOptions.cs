namespace CredentialBroker.Abstractions;

/// <summary>One broker signing key, loaded from a file.</summary>
public sealed class SigningKeyOptions
{
    /// <summary>Path of a PEM (PKCS#8 or SEC1 EC private key) or JWK file holding a P-256 private key. Required.</summary>
    public string? Path { get; set; }

    /// <summary>The <c>kid</c>; defaults to the RFC 7638 thumbprint of the public key.</summary>
    public string? KeyId { get; set; }

    /// <summary>
    /// When the key starts signing (rotation on a schedule). Default: from the start. The key is published
    /// <see cref="CredentialBrokerOptions.KeyPublishLead"/> earlier, and the key it replaces stays published until
    /// every token that key signed has expired.
    /// </summary>
    public DateTimeOffset? NotBefore { get; set; }
}
