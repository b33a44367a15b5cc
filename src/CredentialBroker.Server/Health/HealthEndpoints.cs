using CredentialBroker.Server.Problems;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace CredentialBroker.Server.Health;

/// <summary>
/// <c>/healthz</c>: the process is up (no check runs). <c>/readyz</c>: the readiness checks pass — the store answers in
/// time and keeps what it records — so the broker can serve; otherwise 503 with <c>Retry-After</c> and the reason.
/// </summary>
internal static class HealthEndpoints
{
    public static IServiceCollection AddBrokerHealthChecks(this IServiceCollection services)
    {
        services.AddOptions<HealthOptions>().BindConfiguration(HealthOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<HealthOptions>, HealthOptionsValidator>();
        services.AddHealthChecks().AddCheck<StoreHealthCheck>(StoreHealthCheck.Name, tags: ["ready"]);
        services.AddHostedService<ClockDriftMonitor>();
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
                    var reasons = report.Entries.Values.Where(e => e.Status != HealthStatus.Healthy).Select(e => e.Description ?? "a readiness check failed");
                    return http.Response.WriteAsync("not ready: " + string.Join("; ", reasons));
                }

                return http.Response.WriteAsync("ready");
            },
        }).AllowAnonymous();
    }
}
