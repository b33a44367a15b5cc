using CredentialBroker.Abstractions.Revocation;
using CredentialBroker.Core.Revocation;
using CredentialBroker.Revoker;
using Quartz;

namespace CredentialBroker.Server.Revocation;

/// <summary>
/// Runs the work job now when this replica enqueues revocation work, coalescing bursts: while a run is
/// requested and has not started, further signals add nothing. The job still polls on its schedule, so a
/// lost signal only costs latency, never work.
/// </summary>
internal sealed class QuartzRevocationSignal(ISchedulerFactory schedulers) : IRevocationSignal
{
    private int _requested;

    public void WorkAvailable()
    {
        if (Interlocked.Exchange(ref _requested, 1) == 0)
        {
            _ = TriggerAsync();
        }
    }

    /// <summary>Called by the job as it starts: signals from now on need a new run.</summary>
    public void Started() => Interlocked.Exchange(ref _requested, 0);

    private async Task TriggerAsync()
    {
        try
        {
            var scheduler = await schedulers.GetScheduler();
            await scheduler.TriggerJob(RevocationWorkJob.Key);
        }
        catch (Exception ex) when (ex is SchedulerException or ObjectDisposedException or InvalidOperationException)
        {
            // Shutting down or not started: the scheduled poll covers it.
            Interlocked.Exchange(ref _requested, 0);
        }
    }
}
