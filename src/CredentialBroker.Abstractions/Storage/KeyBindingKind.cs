namespace CredentialBroker.Abstractions.Storage;

/// <summary>What kind of key a <see cref="KeyBinding"/> names.</summary>
public enum KeyBindingKind
{
    /// <summary>A DPoP key (RFC 9449), by its RFC 7638 thumbprint: <c>cnf.jkt</c>.</summary>
    Jkt,

    /// <summary>A TLS client certificate (RFC 8705), by its SHA-256 thumbprint: <c>cnf.x5t#S256</c>.</summary>
    X5tS256,
}
