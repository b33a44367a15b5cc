using CredentialBroker.Abstractions;
using CredentialBroker.Abstractions.Revocation;
using CredentialBroker.Abstractions.Storage;
using CredentialBroker.Core;
using CredentialBroker.Core.Revocation;
using CredentialBroker.EmbeddedStore;
using CredentialBroker.Revoker;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Quartz;

namespace CredentialBroker.Server.Revocation;

/// <summary>Sweeps the expiry index (every <see cref="RevokerOptions.ExpirySweepInterval"/>).</summary>
[DisallowConcurrentExecution]
internal sealed partial class ExpirySweepJob(ExpirySweeper sweeper, ILogger<ExpirySweepJob> logger) : IJob
{
    public static readonly JobKey Key = new("expiry-sweep", "revoker");

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken) =>
        await RevokerJob.RunAsync(logger, Key, async () => await sweeper.SweepAsync(cancellationToken));
}

/// <summary>Drains the revocation work queue (every <see cref="RevokerOptions.WorkPollInterval"/>, and at once when this replica enqueues work).</summary>
[DisallowConcurrentExecution]
internal sealed class RevocationWorkJob(RevocationWorker worker, QuartzRevocationSignal signal, ILogger<RevocationWorkJob> logger) : IJob
{
    public static readonly JobKey Key = new("revocation-work", "revoker");

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken)
    {
        signal.Started();
        await RevokerJob.RunAsync(logger, Key, async () => await worker.DrainAsync(cancellationToken));
    }
}

/// <summary>Retries irrevocable credentials (every <see cref="RevokerOptions.IrrevocableRetryInterval"/>).</summary>
[DisallowConcurrentExecution]
internal sealed class IrrevocableRetryJob(IrrevocableRetrier retrier, ILogger<IrrevocableRetryJob> logger) : IJob
{
    public static readonly JobKey Key = new("irrevocable-retry", "revoker");

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken) =>
        await RevokerJob.RunAsync(logger, Key, async () => await retrier.RetryDueAsync(cancellationToken));
}

/// <summary>Revokes downstream secrets whose issue was never confirmed (every <see cref="RevokerOptions.IssueReconcileInterval"/>).</summary>
[DisallowConcurrentExecution]
internal sealed class IssueReconcileJob(IssueReconciler reconciler, ILogger<IssueReconcileJob> logger) : IJob
{
    public static readonly JobKey Key = new("issue-reconcile", "revoker");

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken) =>
        await RevokerJob.RunAsync(logger, Key, async () => await reconciler.ReconcileAsync(cancellationToken));
}

/// <summary>Drops feed entries older than any credential can live (every <see cref="RevokerOptions.FeedTrimInterval"/>).</summary>
[DisallowConcurrentExecution]
internal sealed class FeedTrimJob(RevocationFeed feed, IOptions<RevocationFeedOptions> options, [FromKeyedServices(BrokerTime.ServiceKey)] TimeProvider time, ILogger<FeedTrimJob> logger) : IJob
{
    public static readonly JobKey Key = new("feed-trim", "revoker");

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken) =>
        await RevokerJob.RunAsync(logger, Key, async () =>
        {
            await feed.TrimAsync(time.GetUtcNowMilliseconds() - options.Value.Retention, cancellationToken);
            return 0;
        });
}

/// <summary>Reports the signing-key schedule as it unfolds (every 30 s).</summary>
[DisallowConcurrentExecution]
internal sealed class KeyRotationJob(KeyScheduleReporter reporter) : IJob
{
    public static readonly JobKey Key = new("key-rotation", "revoker");

    public ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken)
    {
        reporter.Report();
        return ValueTask.CompletedTask;
    }
}

/// <summary>What every revoker job does around its work: a store outage is logged and waited out, never fatal.</summary>
internal static partial class RevokerJob
{
    public static async ValueTask RunAsync(ILogger logger, JobKey job, Func<Task<int>> work)
    {
        try
        {
            var done = await work();
            if (done > 0)
            {
                LogDone(logger, job.Name, done);
            }
        }
        catch (StoreUnavailableException ex)
        {
            // The work is durable in the store; the next run picks it up.
            LogStoreUnavailable(logger, job.Name, ex.InnerException?.Message ?? ex.Message);
        }
    }

    [LoggerMessage(EventId = 1910, EventName = "RevokerJobDone", Level = LogLevel.Debug, Message = "Revoker job {Job} finished {Count} items")]
    private static partial void LogDone(ILogger logger, string job, int count);

    [LoggerMessage(EventId = 1911, EventName = "RevokerJobStoreUnavailable", Level = LogLevel.Warning,
        Message = "Revoker job {Job} could not reach the store ({Cause}); its work stays queued for the next run")]
    private static partial void LogStoreUnavailable(ILogger logger, string job, string cause);
}
