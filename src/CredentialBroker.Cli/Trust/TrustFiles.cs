namespace CredentialBroker.Cli.Trust;

/// <summary>The files of a trial trust domain, as <c>brokerctl trust init</c> writes them and <c>brokerctl trust svid</c> reads them.</summary>
internal static class TrustFiles
{
    /// <summary>The authority's certificate (EC P-256, a CA, URI SAN <c>spiffe://NAME</c>).</summary>
    public const string CaCertificate = "ca.pem";

    /// <summary>The authority's private key: signs X.509-SVIDs.</summary>
    public const string CaKey = "ca.key";

    /// <summary>The X.509 bundle: the authority's certificate, for <c>CredentialBroker:X509Bundles</c>.</summary>
    public const string X509Bundle = "x509-bundle.pem";

    /// <summary>The private key that signs JWT-SVIDs.</summary>
    public const string JwtSigningKey = "jwt-signing.key";

    /// <summary>The JWT bundle: a SPIFFE bundle (JWKS, <c>use: jwt-svid</c>), for <c>CredentialBroker:TrustBundles</c>.</summary>
    public const string JwtBundle = "jwt-bundle.json";

    /// <summary>A signing key for the broker's own tokens, for <c>CredentialBroker:SigningKeys:0:Path</c>.</summary>
    public const string BrokerSigningKey = "broker-signing.key";

    /// <summary>What each file is.</summary>
    public const string Readme = "README.txt";

    /// <summary>What <c>trust svid --x509 OUTDIR</c> writes: the X.509-SVID, its key and the bundle to check it with.</summary>
    public const string SvidCertificate = "svid.pem";

    /// <summary>The X.509-SVID's private key.</summary>
    public const string SvidKey = "svid.key";

    /// <summary>The X.509 bundle beside an X.509-SVID.</summary>
    public const string SvidBundle = "bundle.pem";

    /// <summary>Every file of <c>trust init</c>, in the order it lists them.</summary>
    public static readonly string[] All = [CaCertificate, CaKey, X509Bundle, JwtSigningKey, JwtBundle, BrokerSigningKey, Readme];
}
