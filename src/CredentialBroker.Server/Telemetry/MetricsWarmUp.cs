using CredentialBroker.Revoker;
using OpenTelemetry.Metrics;

namespace CredentialBroker.Server.Telemetry;

/// <summary>
/// Creates the broker's instruments at start, after the meter provider, so that every counter and gauge is on
/// <c>/metrics</c> from the first scrape (a counter created by the first event would be missing until then, and its zero
/// reported before the provider listened would be lost).
/// </summary>
internal sealed class MetricsWarmUp(IServiceProvider services) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        _ = services.GetService<MeterProvider>();
        _ = services.GetRequiredService<RevokerMetrics>();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
