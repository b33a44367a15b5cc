using CredentialBroker.Abstractions.Storage;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace CredentialBroker.Server.Health;

/// <summary>
/// Readiness: the store answers within <see cref="HealthOptions.ReadinessTimeout"/> and keeps what it records, so the
/// broker can serve. A store that cannot be reached, hangs, or could evict records makes the broker unready, and the
/// result says why (it fails closed meanwhile).
/// </summary>
internal sealed class StoreHealthCheck(ICredentialStore store, IOptions<HealthOptions> options) : IHealthCheck
{
    public const string Name = "store";

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var timeout = options.Value.ReadinessTimeout;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            await store.PingAsync(deadline.Token);
            return HealthCheckResult.Healthy();
        }
        catch (StoreUnavailableException ex)
        {
            return HealthCheckResult.Unhealthy(ex.Message);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy($"The store did not answer within {timeout.TotalMilliseconds:0} ms.");
        }
    }
}
