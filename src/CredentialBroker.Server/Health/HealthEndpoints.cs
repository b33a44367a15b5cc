using CredentialBroker.Server.Problems;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace CredentialBroker.Server.Health;

/// <summary>
/// <c>/healthz</c>: the process is up (no check runs). <c>/readyz</c>: the readiness checks pass — the store answers —
/// so the broker can serve; otherwise 503 with <c>Retry-After</c>.
/// </summary>
internal static class HealthEndpoints
{
    public static IServiceCollection AddBrokerHealthChecks(this IServiceCollection services)
    {
        services.AddHealthChecks().AddCheck<StoreHealthCheck>(StoreHealthCheck.Name, tags: ["ready"]);
        return services;
    }

    public static void MapHealthEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapHealthChecks("/healthz", new HealthCheckOptions { Predicate = _ => false, ResponseWriter = (http, _) => http.Response.WriteAsync("ok") }).AllowAnonymous();
        app.MapHealthChecks("/readyz", new HealthCheckOptions
        {
            Predicate = check => check.Tags.Contains("ready"),
            ResponseWriter = (http, report) =>
            {
                if (report.Status != HealthStatus.Healthy)
                {
                    http.Response.Headers.RetryAfter = StoreUnavailableExceptionHandler.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
                    return http.Response.WriteAsync("not ready: the store cannot be reached");
                }

                return http.Response.WriteAsync("ready");
            },
        }).AllowAnonymous();
    }
}
