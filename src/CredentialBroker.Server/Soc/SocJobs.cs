using CredentialBroker.Abstractions.Soc;
using CredentialBroker.Abstractions;
using CredentialBroker.Server.Revocation;
using CredentialBroker.Soc;
using Quartz;

namespace CredentialBroker.Server.Soc;

/// <summary>
/// Reloads every in-memory snapshot — the bulk revocations in force, the risk levels — from the store (every
/// <see cref="SocOptions.RuleRefreshInterval"/>), so every replica enforces every replica's rules, quarantines and risk
/// levels without a round trip per request.
/// </summary>
[DisallowConcurrentExecution]
internal sealed class SocRulesJob(IEnumerable<ISnapshot> snapshots, ILogger<SocRulesJob> logger) : IJob
{
    public static readonly JobKey Key = new("soc-rules", "soc");

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken) =>
        await RevokerJob.RunAsync(logger, Key, async () =>
        {
            foreach (var snapshot in snapshots)
            {
                await snapshot.RefreshAsync(cancellationToken);
            }

            return 0;
        });
}

/// <summary>Advances running bulk revocations (every <see cref="SocOptions.ProgressInterval"/>, and at once when this replica stores one).</summary>
[DisallowConcurrentExecution]
internal sealed class BulkRevocationJob(BulkRevocationService bulk, ILogger<BulkRevocationJob> logger) : IJob
{
    public static readonly JobKey Key = new("bulk-revocation", "soc");

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken) =>
        await RevokerJob.RunAsync(logger, Key, async () => await bulk.AdvanceAsync(cancellationToken));
}

/// <summary>Runs <see cref="BulkRevocationJob"/> as soon as this replica stores a bulk revocation.</summary>
internal sealed class BulkRevocationTrigger(BulkRevocationService bulk, ISchedulerFactory schedulers) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        bulk.RevocationRequested += OnRequested;
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        bulk.RevocationRequested -= OnRequested;
        return Task.CompletedTask;
    }

    private async void OnRequested(object? sender, EventArgs e)
    {
        try
        {
            await (await schedulers.GetScheduler()).TriggerJob(BulkRevocationJob.Key);
        }
        catch (Exception ex) when (ex is SchedulerException or ObjectDisposedException or InvalidOperationException)
        {
            // Shutting down or not started: the scheduled run covers it.
        }
    }
}

/// <summary>
/// Runs the Shared Signals transmitter (every <see cref="SsfTransmitOptions.DeliveryInterval"/>): new revocations become
/// events, and pending events are pushed to their receivers as their retries come due.
/// </summary>
[DisallowConcurrentExecution]
internal sealed class SsfTransmitJob(SsfTransmitter transmitter, ILogger<SsfTransmitJob> logger) : IJob
{
    public static readonly JobKey Key = new("ssf-transmit", "soc");

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken) =>
        await RevokerJob.RunAsync(logger, Key, async () => await transmitter.TransmitAsync(cancellationToken));
}
