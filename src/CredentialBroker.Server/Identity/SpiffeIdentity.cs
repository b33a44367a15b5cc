using System.Security.Claims;
using CredentialBroker.Abstractions.Identity;

namespace CredentialBroker.Server.Identity;

/// <summary>
/// An authenticated caller as ASP.NET Core sees it: the SPIFFE ID as the name identifier, each role as a role claim
/// (wire names: <c>orchestrator</c>, <c>agent</c>, <c>soc</c>, <c>resource_server</c>), and the authentication method;
/// and the <see cref="CallerIdentity"/> the domain services take.
/// </summary>
internal sealed class SpiffeIdentity : ClaimsIdentity
{
    private static readonly BrokerRoles[] Roles = [.. Enum.GetValues<BrokerRoles>().Where(r => r != BrokerRoles.None)];
    private static readonly Dictionary<CallerAuthenticationMethod, string> MethodNames = Enum.GetValues<CallerAuthenticationMethod>().ToDictionary(m => m, m => m.ToString());

    public SpiffeIdentity(CallerIdentity caller, string scheme)
        : base(ClaimsOf(caller), scheme, ClaimTypes.NameIdentifier, ClaimTypes.Role) => Caller = caller;

    public CallerIdentity Caller { get; }

    private static IEnumerable<Claim> ClaimsOf(CallerIdentity caller)
    {
        yield return new Claim(ClaimTypes.NameIdentifier, caller.Id.Value);
        yield return new Claim(ClaimTypes.AuthenticationMethod, MethodNames[caller.Method]);
        foreach (var role in Roles)
        {
            if (caller.HasAnyRole(role))
            {
                yield return new Claim(ClaimTypes.Role, BrokerPolicies.RoleName(role));
            }
        }
    }
}
