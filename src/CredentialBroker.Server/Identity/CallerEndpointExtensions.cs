using CredentialBroker.Abstractions.Identity;
using CredentialBroker.Core.Identity;
using CredentialBroker.Server.Problems;

namespace CredentialBroker.Server.Identity;

/// <summary>Authentication and role checks for REST endpoints.</summary>
internal static class CallerEndpointExtensions
{
    private const string BearerChallenge = "Bearer realm=\"credentialbroker\"";

    /// <summary>Requires a valid JWT-SVID whose ID holds one of <paramref name="anyOf"/>; 401 or 403 problem details otherwise.</summary>
    public static TBuilder RequireCaller<TBuilder>(this TBuilder builder, BrokerRoles anyOf)
        where TBuilder : IEndpointConventionBuilder =>
        builder.AddEndpointFilter(async (context, next) =>
        {
            var http = context.HttpContext;
            var authentication = await http.RequestServices.GetRequiredService<CallerAuthenticator>().AuthenticateBearerAsync(http.Request);
            if (!authentication.Succeeded)
            {
                http.Response.Headers.WWWAuthenticate = authentication.Failure == CallerAuthenticationFailure.Missing
                    ? BearerChallenge
                    : $"{BearerChallenge}, error=\"invalid_token\", error_description=\"{authentication.Description}\"";
                return ProblemResults.Create(StatusCodes.Status401Unauthorized, "unauthenticated", "Unauthenticated", authentication.Description);
            }

            if (!authentication.Caller.HasAnyRole(anyOf))
            {
                return ProblemResults.Forbidden($"This endpoint needs the role {Describe(anyOf)}; {authentication.Caller.Id} does not hold it.");
            }

            http.Features.Set(authentication.Caller);
            return await next(context);
        });

    /// <summary>The caller authenticated by <see cref="RequireCaller"/>.</summary>
    public static CallerIdentity Caller(this HttpContext context) =>
        context.Features.Get<CallerIdentity>() ?? throw new InvalidOperationException("The endpoint has no RequireCaller filter.");

    private static string Describe(BrokerRoles roles) => string.Join(" or ", Enum.GetValues<BrokerRoles>()
        .Where(r => r != BrokerRoles.None && roles.HasFlag(r))
        .Select(r => r switch
        {
            BrokerRoles.Orchestrator => "orchestrator",
            BrokerRoles.Agent => "agent",
            BrokerRoles.Soc => "soc",
            _ => "resource_server",
        }));
}
