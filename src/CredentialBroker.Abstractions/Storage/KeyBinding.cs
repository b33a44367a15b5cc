namespace CredentialBroker.Abstractions.Storage;

/// <summary>
/// The key a credential is bound to besides its holder's SPIFFE ID: its token's <c>cnf</c> names it, and every use of the
/// credential needs proof of it — a DPoP proof signed by that key (RFC 9449, <c>jkt</c>), or a TLS client certificate
/// with that thumbprint (RFC 8705, <c>x5t#S256</c>).
/// </summary>
/// <param name="Kind">Which kind of key.</param>
/// <param name="Thumbprint">The key's SHA-256 thumbprint, base64url without padding (43 characters).</param>
public sealed record KeyBinding(KeyBindingKind Kind, string Thumbprint)
{
    /// <summary>The <c>cnf</c> member that names a DPoP key's RFC 7638 thumbprint.</summary>
    public const string JktMember = "jkt";

    /// <summary>The <c>cnf</c> member that names a certificate's SHA-256 thumbprint.</summary>
    public const string X5tS256Member = "x5t#S256";

    /// <summary>A binding to the DPoP key whose RFC 7638 thumbprint is <paramref name="thumbprint"/>.</summary>
    public static KeyBinding Jkt(string thumbprint) => new(KeyBindingKind.Jkt, thumbprint);

    /// <summary>A binding to the TLS client certificate whose SHA-256 thumbprint is <paramref name="thumbprint"/>.</summary>
    public static KeyBinding X5tS256(string thumbprint) => new(KeyBindingKind.X5tS256, thumbprint);

    /// <summary>The <c>cnf</c> member that carries it: <see cref="JktMember"/> or <see cref="X5tS256Member"/>.</summary>
    public string Member => Kind == KeyBindingKind.Jkt ? JktMember : X5tS256Member;

    /// <summary>Whether <paramref name="value"/> has the shape of a SHA-256 thumbprint: 43 base64url characters.</summary>
    public static bool IsThumbprint(string? value) =>
        value is { Length: 43 } && value.All(c => c is >= 'A' and <= 'Z' or >= 'a' and <= 'z' or >= '0' and <= '9' or '-' or '_')
        && "AEIMQUYcgkosw048".Contains(value[^1], StringComparison.Ordinal); // 256 bits: the last character carries 4 bits and 2 zero bits
}
