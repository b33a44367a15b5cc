using CredentialBroker.Abstractions.Identity;
using CredentialBroker.Core.Identity;
using CredentialBroker.Core.Tokens;

namespace CredentialBroker.Server.Hosting;

/// <summary>Development mode's trust domain <c>spiffe://dev.local</c>: an ephemeral key the broker trusts, and the three dev identities.</summary>
internal sealed class DevIdentities
{
    /// <summary>The dev identities and their roles.</summary>
    public static readonly IReadOnlyList<(string Name, string Path, BrokerRoles Role)> Workloads =
    [
        ("orchestrator", "/orchestrator", BrokerRoles.Orchestrator),
        ("agent", "/agent", BrokerRoles.Agent),
        ("soc", "/soc", BrokerRoles.Soc),
    ];

    /// <summary>How long dev SVIDs live.</summary>
    public static readonly TimeSpan SvidLifetime = TimeSpan.FromHours(24);

    public JwtSvidMinter Minter { get; } = new(DevModeOptions.TrustDomain, SigningKey.Generate());

    public static string IdOf(string path) => $"spiffe://{DevModeOptions.TrustDomain}{path}";
}
