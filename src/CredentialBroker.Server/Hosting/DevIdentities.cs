using CredentialBroker.Abstractions.Identity;
using CredentialBroker.Abstractions;
using CredentialBroker.Core.Identity;
using CredentialBroker.Core.Tokens;

namespace CredentialBroker.Server.Hosting;

/// <summary>
/// Development mode's trust domain <c>spiffe://dev.local</c>: an ephemeral JWT-SVID key and an ephemeral X.509 authority
/// the broker trusts, and the dev identities — one per role, and a second agent to delegate to.
/// </summary>
internal sealed class DevIdentities([FromKeyedServices(BrokerTime.ServiceKey)] TimeProvider time) : IDisposable
{
    /// <summary>The dev identities: their name in the credentials file and directory, SPIFFE ID path and roles.</summary>
    public static readonly IReadOnlyList<(string Name, string Path, BrokerRoles Role)> Workloads =
    [
        ("orchestrator", "/orchestrator", BrokerRoles.Orchestrator),
        ("agent", "/agent", BrokerRoles.Agent),
        ("sub_agent", "/sub-agent", BrokerRoles.Agent),
        ("resource_server", "/resource-server", BrokerRoles.ResourceServer),
        ("soc", "/soc", BrokerRoles.Soc),
        ("operator", "/operator", BrokerRoles.Operator),
    ];

    /// <summary>The dev resource server's one resource: what its access tokens are for (their <c>aud</c>).</summary>
    public const string ResourceServerResource = "https://invoices.dev.local";

    /// <summary>The dev resource server's identity, which may introspect access tokens for <see cref="ResourceServerResource"/>.</summary>
    public static readonly string ResourceServerId = IdOf("/resource-server");

    /// <summary>How long dev SVIDs live.</summary>
    public static readonly TimeSpan SvidLifetime = TimeSpan.FromHours(24);

    public JwtSvidMinter Minter { get; } = new(DevModeOptions.TrustDomain, SigningKey.Generate());

    /// <summary>The X.509 authority; it outlives every SVID it issues while the broker runs for a day.</summary>
    public DevCertificateAuthority Authority { get; } = new(DevModeOptions.TrustDomain, time.GetUtcNow(), 2 * SvidLifetime);

    public static string IdOf(string path) => $"spiffe://{DevModeOptions.TrustDomain}{path}";

    public void Dispose() => Authority.Dispose();
}
