namespace CredentialBroker.Soc;

/// <summary>The Shared Signals receiver (configuration section <c>CredentialBroker:Ssf</c>).</summary>
public sealed class SsfOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "CredentialBroker:Ssf";

    /// <summary>The transmitters whose Security Event Tokens the broker accepts, by a name of your choice.</summary>
    public IDictionary<string, SsfTransmitterOptions> Transmitters { get; } = new Dictionary<string, SsfTransmitterOptions>(StringComparer.Ordinal);

    /// <summary>How old (by <c>iat</c>) an event may be; older events are refused, and replays are remembered this long.</summary>
    public TimeSpan MaxEventAge { get; set; } = TimeSpan.FromMinutes(10);
}

/// <summary>One SSF transmitter.</summary>
public sealed class SsfTransmitterOptions
{
    /// <summary>Its issuer: the exact <c>iss</c> of its events.</summary>
    public string? Issuer { get; set; }

    /// <summary>A JWKS file with its signing keys (EC P-256 or RSA).</summary>
    public string? JwksPath { get; set; }

    /// <summary>The algorithms its events may use; empty means ES256 and RS256.</summary>
    public IList<string> Algorithms { get; } = [];

    /// <summary>
    /// The workloads its events may revoke: SPIFFE IDs, or prefixes ending in <c>/</c> (<c>spiffe://corp.example/</c> is
    /// the whole trust domain). Required: a transmitter is trusted for its own domain, not for every workload. An event
    /// about a workload outside this scope is refused (<c>access_denied</c>) and revokes nothing.
    /// </summary>
    public IList<string> Subjects { get; } = [];
}
