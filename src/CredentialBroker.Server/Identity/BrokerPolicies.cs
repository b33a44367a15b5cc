using CredentialBroker.Abstractions.Identity;
using Microsoft.AspNetCore.Authorization;

namespace CredentialBroker.Server.Identity;

/// <summary>
/// The authorization policies endpoints declare (<c>RequireAuthorization(BrokerPolicies.Soc)</c>), each a set of roles
/// any one of which suffices. Anything that declares nothing falls back to <see cref="Authenticated"/>; only discovery,
/// the JWKS, health, metrics and the Shared Signals receiver (which authenticates its events itself) are anonymous.
/// </summary>
internal static class BrokerPolicies
{
    public const string Authenticated = "authenticated";
    public const string Orchestrator = "orchestrator";
    public const string Soc = "soc";
    public const string OrchestratorOrSoc = "orchestrator-or-soc";
    public const string ResourceServerOrSoc = "resource-server-or-soc";
    public const string Operator = "operator";
    public const string SocOrOperator = "soc-or-operator";

    private static readonly Dictionary<string, BrokerRoles> Roles = new(StringComparer.Ordinal)
    {
        [Orchestrator] = BrokerRoles.Orchestrator,
        [Soc] = BrokerRoles.Soc,
        [OrchestratorOrSoc] = BrokerRoles.Orchestrator | BrokerRoles.Soc,
        [ResourceServerOrSoc] = BrokerRoles.ResourceServer | BrokerRoles.Soc,
        [Operator] = BrokerRoles.Operator,
        [SocOrOperator] = BrokerRoles.Soc | BrokerRoles.Operator,
    };

    /// <summary>Adds the policies and the deny-by-default fallback.</summary>
    public static void Configure(AuthorizationOptions options)
    {
        var authenticated = new AuthorizationPolicyBuilder(SpiffeAuthenticationHandler.SchemeName).RequireAuthenticatedUser().Build();
        options.AddPolicy(Authenticated, authenticated);
        options.DefaultPolicy = authenticated;
        options.FallbackPolicy = authenticated;
        foreach (var (name, roles) in Roles)
        {
            options.AddPolicy(name, policy => policy
                .AddAuthenticationSchemes(SpiffeAuthenticationHandler.SchemeName)
                .RequireRole(Enum.GetValues<BrokerRoles>().Where(r => r != BrokerRoles.None && roles.HasFlag(r)).Select(RoleName)));
        }
    }

    /// <summary>The wire name of a role, as role claims and messages spell it.</summary>
    public static string RoleName(BrokerRoles role) => role switch
    {
        BrokerRoles.Orchestrator => "orchestrator",
        BrokerRoles.Agent => "agent",
        BrokerRoles.Soc => "soc",
        BrokerRoles.ResourceServer => "resource_server",
        BrokerRoles.Operator => "operator",
        _ => throw new ArgumentOutOfRangeException(nameof(role)),
    };

    /// <summary>What a policy asks for, for a 403's detail: "the role soc", "the role orchestrator or soc".</summary>
    public static string Describe(string policy) => Roles.TryGetValue(policy, out var roles)
        ? "the role " + string.Join(" or ", Enum.GetValues<BrokerRoles>().Where(r => r != BrokerRoles.None && roles.HasFlag(r)).Select(RoleName))
        : "authentication";
}
