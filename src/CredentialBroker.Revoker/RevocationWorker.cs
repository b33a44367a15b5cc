using CredentialBroker.Abstractions.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CredentialBroker.Revoker;

/// <summary>
/// Drains the revocation work queue on this replica: takes entries (including ones a crashed replica took
/// and never finished), processes their tasks, acknowledges what is done. A task that fails stays
/// unacknowledged and is taken over again after the lease. An entry whose revocation is not recorded yet
/// (its writer is still between announcing and recording it) is handed back, never acknowledged unprocessed.
/// </summary>
public sealed partial class RevocationWorker
{
    private readonly IRevokerStore _revoker;
    private readonly RevocationProcessor _processor;
    private readonly RevokerOptions _options;
    private readonly RevokerMetrics _metrics;
    private readonly ILogger<RevocationWorker> _logger;

    /// <summary>Creates the worker with a consumer name unique to this process.</summary>
    public RevocationWorker(IRevokerStore revoker, RevocationProcessor processor, IOptions<RevokerOptions> options, RevokerMetrics metrics, ILogger<RevocationWorker> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _revoker = revoker;
        _processor = processor;
        _options = options.Value;
        _metrics = metrics;
        _logger = logger;
    }

    /// <summary>This replica's name in the work queue's consumer group.</summary>
    public string Consumer { get; } = $"{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid():N}";

    /// <summary>Processes work until the queue is empty; returns how many entries this replica finished.</summary>
    public async ValueTask<int> DrainAsync(CancellationToken cancellationToken)
    {
        var finished = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            var work = await _revoker.TakeWorkAsync(Consumer, _options.WorkBatchSize, _options.Lease, cancellationToken);
            if (work.Count == 0)
            {
                break;
            }

            var early = work.Where(w => !w.Recorded).ToList();
            if (early.Count > 0)
            {
                await _revoker.DeferWorkAsync(early, _options.Lease, cancellationToken);
            }

            // Every task taken as one batch (one read of their pending credentials, one feed append, one record of the
            // outcomes); acknowledged only once it is done. Should the batch fail, task by task, so one bad task cannot hold
            // up the rest: what still fails stays unacknowledged and is taken over after the lease.
            var recorded = work.Where(w => w.Recorded).ToList();
            var done = new List<RevocationWork>(recorded.Count);
            try
            {
                await _processor.ProcessTasksAsync([.. recorded.Select(w => w.TaskId).Distinct(StringComparer.Ordinal)], cancellationToken);
                done.AddRange(recorded);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogBatchFailed(_logger, ex, recorded.Count);
                await Parallel.ForEachAsync(recorded.GroupBy(w => w.TaskId), new ParallelOptions { MaxDegreeOfParallelism = _options.Concurrency, CancellationToken = cancellationToken }, async (entries, ct) =>
                {
                    try
                    {
                        await _processor.ProcessTaskAsync(entries.Key, ct);
                        lock (done)
                        {
                            done.AddRange(entries);
                        }
                    }
                    catch (Exception taskException) when (taskException is not OperationCanceledException)
                    {
                        LogTaskFailed(_logger, taskException, entries.Key);
                    }
                });
            }

            // An entry can name several tasks (one RevocationWork each, sharing its id): it is acknowledged only when all are done.
            var unfinished = recorded.Except(done).Select(w => w.Id).ToHashSet(StringComparer.Ordinal);
            done.RemoveAll(w => unfinished.Contains(w.Id));
            await _revoker.AckWorkAsync(done, cancellationToken);
            finished += done.Count;
            if (done.Count == 0)
            {
                // Everything taken failed: leave it to the lease rather than spin on it.
                break;
            }
        }

        _metrics.QueueDepth(await _revoker.DepthAsync(cancellationToken));
        return finished;
    }

    [LoggerMessage(EventId = 1903, EventName = "RevocationWorkFailed", Level = LogLevel.Error,
        Message = "Revocation work for task {TaskId} failed; it stays queued and is retried after the lease")]
    private static partial void LogTaskFailed(ILogger logger, Exception exception, string taskId);

    [LoggerMessage(EventId = 1906, EventName = "RevocationBatchFailed", Level = LogLevel.Warning,
        Message = "A batch of {Count} revocation work entries failed; processing them task by task")]
    private static partial void LogBatchFailed(ILogger logger, Exception exception, int count);
}
