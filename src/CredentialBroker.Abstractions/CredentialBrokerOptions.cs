namespace CredentialBroker.Abstractions;

/// <summary>
/// The broker's settings, bound from the <c>CredentialBroker</c> configuration section and validated at
/// start (all failures reported at once).
/// </summary>
public sealed class CredentialBrokerOptions
{
    /// <summary>The configuration section these options bind from.</summary>
    public const string SectionName = "CredentialBroker";

    /// <summary>
    /// The broker's issuer identifier: the exact <c>iss</c> of every token it signs and the audience callers'
    /// JWT-SVIDs must name. An absolute http(s) URL without query, fragment or trailing slash. Required in
    /// production; in development mode it defaults to the first listen URL (<c>http://127.0.0.1:8080</c>).
    /// </summary>
    public string? Issuer { get; set; }

    /// <summary>Tolerance for <c>exp</c>, <c>nbf</c> and <c>iat</c> of every token read. Default 30 s; at most 30 s.</summary>
    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The shortest task TTL accepted. Default 30 s.</summary>
    public TimeSpan MinTaskTtl { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The longest task TTL accepted. Default 15 min.</summary>
    public TimeSpan MaxTaskTtl { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>The longest lifetime of a downstream access token; it never outlives its subject token either. Default 5 min.</summary>
    public TimeSpan MaxAccessTokenTtl { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// How long issuing one downstream secret may take before it counts as unfinished: a secret whose issue is not
    /// confirmed by then (its issuer crashed, or the backend hung) is revoked downstream by the revoker. Default 30 s.
    /// </summary>
    public TimeSpan SecretIssueTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The deepest delegation chain a task may allow. Default 5.</summary>
    public int MaxDelegationDepth { get; set; } = 5;

    /// <summary>
    /// How many credentials one task may hold (its task token, delegated tokens, access tokens, secrets). The exchange
    /// that would exceed it is refused, so one task token cannot grow its record without bound. Default 1000; 1 to 10,000.
    /// </summary>
    public int MaxCredentialsPerTask { get; set; } = 1000;

    /// <summary>The longest JWT accepted anywhere, in characters. Default 8192.</summary>
    public int MaxTokenLength { get; set; } = 8192;

    /// <summary>How far in the future a caller's JWT-SVID may expire. Default 24 h.</summary>
    public TimeSpan MaxCallerCredentialLifetime { get; set; } = TimeSpan.FromHours(24);

    /// <summary>How long before it starts signing a scheduled signing key is published in the JWKS. Default 1 h: longer than resource servers cache the JWKS.</summary>
    public TimeSpan KeyPublishLead { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How often each replica checks the signing-key schedule (a key published, taking over, retired). Default 30 s.</summary>
    public TimeSpan KeyScheduleCheckInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>JWS algorithms accepted on callers' JWT-SVIDs; each key additionally accepts only the algorithm that fits it. Default ES256.</summary>
    public IList<string> AllowedAlgorithms { get; } = [];

    /// <summary>How long an <c>Idempotency-Key</c> is remembered. Default 24 h.</summary>
    public TimeSpan IdempotencyKeyLifetime { get; set; } = TimeSpan.FromHours(24);

    /// <summary>How long task and credential records are kept after the task's deadline, for audit and reports. Default 30 days.</summary>
    public TimeSpan RecordRetention { get; set; } = TimeSpan.FromDays(30);

    /// <summary>
    /// How long a Token Status List may be cached (its <c>ttl</c> claim, and how long the broker serves one signed list before
    /// signing a fresh one): a revocation reaches a resource server that checks lists within this long (twice it, counting its own cache). Default 10 s, so the exposure report adds 20 s; 1 s to 1 h.
    /// </summary>
    public TimeSpan StatusListTimeToLive { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long a signed Token Status List is valid (<c>exp</c> − <c>iat</c>): past it a resource server that cannot fetch a
    /// fresh list refuses tokens (fail closed). Default 5 min; at least <see cref="StatusListTimeToLive"/>, at most 24 h.
    /// </summary>
    public TimeSpan StatusListLifetime { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>The boundary log: checkpoints and retention (<c>CredentialBroker:Audit</c>).</summary>
    public Audit.AuditOptions Audit { get; set; } = new();

    /// <summary>DPoP proofs (RFC 9449): algorithms, freshness, replay window and server nonces.</summary>
    public DpopOptions Dpop { get; set; } = new();

    /// <summary>Transaction Tokens: their trust domain and longest lifetime (<c>CredentialBroker:TransactionTokens</c>).</summary>
    public TransactionTokenOptions TransactionTokens { get; set; } = new();

    /// <summary>The trust domain transaction tokens are valid in: <see cref="TransactionTokenOptions.TrustDomain"/>, else <see cref="Issuer"/>.</summary>
    public string? EffectiveTrustDomain => TransactionTokens.TrustDomain ?? Issuer;

    /// <summary>Role bindings: which SPIFFE IDs hold which role.</summary>
    public RoleOptions Roles { get; set; } = new();

    /// <summary>
    /// Resource servers by a name of your choice, each with the resources whose access tokens it may introspect.
    /// A resource server with none configured learns nothing from introspection but <c>{"active": false}</c>.
    /// </summary>
    public IDictionary<string, ResourceServerOptions> ResourceServers { get; } = new Dictionary<string, ResourceServerOptions>(StringComparer.Ordinal);

    /// <summary>Trust bundles: trust domain name → path of its SPIFFE bundle (JWKS) file.</summary>
    public IDictionary<string, string> TrustBundles { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>
    /// How often each replica reads the <see cref="TrustBundles"/> files again: a changed file is in force from then on (a key
    /// removed from a bundle authenticates no one), a file that cannot be read or parsed leaves the last good bundle in
    /// force. Default 30 s; 1 s to 1 h.
    /// </summary>
    public TimeSpan TrustBundleRefreshInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// X.509 trust bundles: trust domain name → path of a PEM file with the domain's X.509 authorities. When any is
    /// configured, callers may also authenticate with an X.509-SVID as their TLS client certificate (on an HTTPS endpoint).
    /// </summary>
    public IDictionary<string, string> X509Bundles { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>Signing keys: the first signs; the others stay published for verification. Each is a PEM or JWK file.</summary>
    public IList<SigningKeyOptions> SigningKeys { get; } = [];

    /// <summary>The algorithms in force: <see cref="AllowedAlgorithms"/>, or ES256 when none is configured.</summary>
    public IReadOnlyCollection<string> EffectiveAlgorithms => AllowedAlgorithms.Count > 0 ? [.. AllowedAlgorithms] : ["ES256"];
}
