using CredentialBroker.Abstractions;
using CredentialBroker.Abstractions.Audit;
using CredentialBroker.Abstractions.Soc;
using CredentialBroker.Abstractions.Storage;
using CredentialBroker.Core.Audit;
using Microsoft.Extensions.Options;

namespace CredentialBroker.Server.Audit;

/// <summary>
/// Signs a checkpoint of the chains' heads every <see cref="AuditOptions.CheckpointInterval"/> (when events came since the
/// last one) or as soon as <see cref="AuditOptions.CheckpointEvents"/> events came, checking every second; one replica at a
/// time (a lease in the SOC store). After each checkpoint it trims events older than <see cref="AuditOptions.Retention"/>,
/// but only behind a checkpoint, so the chains still verify from there.
/// </summary>
internal sealed partial class AuditCheckpointer(
    IAuditLog log,
    ISocStore soc,
    AuditCheckpointSigner signer,
    IOptions<CredentialBrokerOptions> options,
    [FromKeyedServices(BrokerTime.ServiceKey)] TimeProvider time,
    ILogger<AuditCheckpointer> logger) : BackgroundService
{
    private const string LeaseName = "audit-checkpoint";
    private readonly string _owner = Guid.NewGuid().ToString("N");
    private readonly AuditOptions _options = options.Value.Audit;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1), time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await TickAsync(stoppingToken);
            }
            catch (StoreUnavailableException ex)
            {
                LogUnavailable(logger, ex.Message);
            }
        }
    }

    /// <summary>Takes a checkpoint if one is due; returns it, or <see langword="null"/>.</summary>
    internal async Task<AuditCheckpoint?> TickAsync(CancellationToken cancellationToken)
    {
        if (!await soc.TryLeaseAsync(LeaseName, _owner, TimeSpan.FromSeconds(10), cancellationToken))
        {
            return null;
        }

        var now = time.GetUtcNow();
        var heads = await log.HeadsAsync(cancellationToken);
        var last = await log.LastCheckpointAsync(cancellationToken);
        var appended = heads.Sum(h => h.Seq - (last?.Heads.FirstOrDefault(l => l.Chain == h.Chain)?.Seq ?? 0));
        if (appended <= 0 || (appended < _options.CheckpointEvents && last is not null && now - last.Time < _options.CheckpointInterval))
        {
            return null;
        }

        var checkpoint = signer.Sign((last?.Seq ?? 0) + 1, heads, now);
        await log.AddCheckpointAsync(checkpoint, cancellationToken);
        LogCheckpoint(logger, checkpoint.Seq, appended);
        await TrimAsync(now, cancellationToken);
        return checkpoint;
    }

    private async Task TrimAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var behind = (await log.CheckpointsAsync(cancellationToken)).LastOrDefault(c => c.Time <= now - _options.Retention);
        foreach (var head in behind?.Heads ?? [])
        {
            var trimmed = await log.TrimAsync(head.Chain, head.Seq, cancellationToken);
            if (trimmed > 0)
            {
                LogTrimmed(logger, trimmed, head.Chain, head.Seq, behind!.Seq);
            }
        }
    }

    [LoggerMessage(EventId = 2600, EventName = "AuditCheckpoint", Level = LogLevel.Information,
        Message = "Signed audit checkpoint {Checkpoint} over {Events} new events")]
    private static partial void LogCheckpoint(ILogger logger, long checkpoint, long events);

    [LoggerMessage(EventId = 2601, EventName = "AuditTrimmed", Level = LogLevel.Information,
        Message = "Trimmed {Count} audit events of chain {Chain} up to {Seq}, behind checkpoint {Checkpoint}")]
    private static partial void LogTrimmed(ILogger logger, long count, int chain, long seq, long checkpoint);

    [LoggerMessage(EventId = 2602, EventName = "AuditCheckpointUnavailable", Level = LogLevel.Warning,
        Message = "Could not take an audit checkpoint: {Reason}")]
    private static partial void LogUnavailable(ILogger logger, string reason);
}
