namespace CredentialBroker.Client.Svids;

/// <summary>
/// Where a workload's SVIDs come from: files that a SPIFFE helper keeps fresh (spiffe-helper, or the SPIFFE CSI driver
/// with the helper as a sidecar), or the SPIFFE Workload API socket of a SPIRE agent. Files win when any is configured.
/// </summary>
public sealed class SvidSourceOptions
{
    /// <summary>The environment variable the SPIFFE Workload API specification names for the socket address.</summary>
    public const string EndpointSocketVariable = "SPIFFE_ENDPOINT_SOCKET";

    /// <summary>
    /// A directory holding spiffe-helper's default file names: <c>jwt_svid.token</c>, <c>svid.pem</c>,
    /// <c>svid_key.pem</c>, <c>svid_bundle.pem</c> (development mode writes one such directory per dev identity).
    /// The file settings below override single names. Default: none.
    /// </summary>
    public string? Directory { get; set; }

    /// <summary>The JWT-SVID file (the compact JWS; whitespace around it is ignored). Default <c>{Directory}/jwt_svid.token</c>.</summary>
    public string? JwtSvidFile { get; set; }

    /// <summary>The X.509-SVID file: PEM certificates, the SVID first, intermediates after it. Default <c>{Directory}/svid.pem</c>.</summary>
    public string? CertificateFile { get; set; }

    /// <summary>The X.509-SVID's private key (PEM, PKCS#8). Default <c>{Directory}/svid_key.pem</c>.</summary>
    public string? KeyFile { get; set; }

    /// <summary>The X.509 trust bundle (PEM CA certificates) peers' SVIDs must chain to. Default <c>{Directory}/svid_bundle.pem</c>.</summary>
    public string? BundleFile { get; set; }

    /// <summary>
    /// The SPIFFE Workload API address, <c>unix:///path/to/agent.sock</c> (or a plain path). Default: the
    /// <c>SPIFFE_ENDPOINT_SOCKET</c> environment variable when no file is configured.
    /// </summary>
    public string? WorkloadApiSocket { get; set; }

    /// <summary>With the Workload API, which of the workload's SPIFFE IDs to use when it has several. Default: the first the agent returns.</summary>
    public string? SpiffeId { get; set; }

    /// <summary>The JWT-SVID file in force.</summary>
    public string? EffectiveJwtSvidFile => JwtSvidFile ?? InDirectory("jwt_svid.token");

    /// <summary>The X.509-SVID certificate file in force.</summary>
    public string? EffectiveCertificateFile => CertificateFile ?? InDirectory("svid.pem");

    /// <summary>The X.509-SVID key file in force.</summary>
    public string? EffectiveKeyFile => KeyFile ?? InDirectory("svid_key.pem");

    /// <summary>The X.509 bundle file in force.</summary>
    public string? EffectiveBundleFile => BundleFile ?? InDirectory("svid_bundle.pem");

    /// <summary>Whether any file setting is given (then files are the source).</summary>
    public bool UsesFiles => Directory is not null || JwtSvidFile is not null || CertificateFile is not null || KeyFile is not null || BundleFile is not null;

    /// <summary>The Workload API address in force, or <see langword="null"/> when files are the source.</summary>
    public string? EffectiveWorkloadApiSocket =>
        UsesFiles ? null : WorkloadApiSocket ?? NullIfEmpty(Environment.GetEnvironmentVariable(EndpointSocketVariable));

    internal static IEnumerable<string> Problems(SvidSourceOptions options, BrokerAuthentication authentication)
    {
        if (options.UsesFiles && options.WorkloadApiSocket is not null)
        {
            yield return "give either files or WorkloadApiSocket, not both.";
        }

        if (!options.UsesFiles && options.EffectiveWorkloadApiSocket is null)
        {
            yield return $"no SVID source: set Directory (or the file settings) or WorkloadApiSocket (or the {EndpointSocketVariable} environment variable).";
        }

        if (options.EffectiveWorkloadApiSocket is { } socket && WorkloadApiSvidSource.SocketPath(socket) is null)
        {
            yield return $"WorkloadApiSocket '{socket}' is not a unix socket address (unix:///path/to/agent.sock).";
        }

        if (options.UsesFiles && authentication == BrokerAuthentication.JwtSvid && options.EffectiveJwtSvidFile is null)
        {
            yield return "JwtSvidFile (or Directory) is required to authenticate with a JWT-SVID.";
        }

        if (options.UsesFiles && authentication == BrokerAuthentication.X509Svid && (options.EffectiveCertificateFile is null || options.EffectiveKeyFile is null))
        {
            yield return "CertificateFile and KeyFile (or Directory) are required to authenticate with an X.509-SVID.";
        }
    }

    private string? InDirectory(string name) => Directory is null ? null : Path.Combine(Directory, name);

    private static string? NullIfEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
}
