using CredentialBroker.Abstractions.Storage;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace CredentialBroker.Server.Health;

/// <summary>Readiness: the store answers, so the broker can serve. A store that cannot be reached makes the broker unready (it fails closed meanwhile).</summary>
internal sealed class StoreHealthCheck(ICredentialStore store) : IHealthCheck
{
    public const string Name = "store";

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await store.PingAsync(cancellationToken);
            return HealthCheckResult.Healthy();
        }
        catch (StoreUnavailableException)
        {
            return HealthCheckResult.Unhealthy("The store cannot be reached.");
        }
    }
}
