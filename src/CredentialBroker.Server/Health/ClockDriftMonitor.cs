using System.Diagnostics.Metrics;
using CredentialBroker.Abstractions;
using CredentialBroker.Abstractions.Storage;
using CredentialBroker.Core;
using Microsoft.Extensions.Options;

namespace CredentialBroker.Server.Health;

/// <summary>
/// The alarm on clock drift: every <see cref="HealthOptions.ClockDriftCheckInterval"/> the replica reads the store's clock
/// (Redis <c>TIME</c>; the embedded store has none of its own) and compares it with its own, allowing for half the round
/// trip. Tokens carry this replica's times and every replica judges them against its own, within <c>ClockSkew</c>; the
/// shared rate limits and the feed already run on Redis's clock. A replica off by <see cref="HealthOptions.ClockDriftAlarm"/>
/// or more logs a warning (1620) at every check until it is back in step (1621), and the drift is the gauge
/// <c>credentialbroker.clock.drift</c> (seconds, this replica minus the store) to alert on. A store that does not answer
/// is readiness's business, not this alarm's. Timed on the broker's clock.
/// </summary>
internal sealed partial class ClockDriftMonitor : BackgroundService
{
    private readonly ICredentialStore _store;
    private readonly HealthOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<ClockDriftMonitor> _logger;
    private double _drift;
    private int _measured;
    private bool _alarmed;

    public ClockDriftMonitor(ICredentialStore store, IOptions<HealthOptions> options, [FromKeyedServices(BrokerTime.ServiceKey)] TimeProvider time, IMeterFactory meters, ILogger<ClockDriftMonitor> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(meters);
        _store = store;
        _options = options.Value;
        _time = time;
        _logger = logger;
        meters.Create(BrokerTelemetry.Name).CreateObservableGauge("credentialbroker.clock.drift", Observe, "s",
            "This replica's clock minus the store's (Redis TIME), as last measured; nothing before the first measurement.");
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_options.ClockDriftCheckInterval, _time);
        try
        {
            do
            {
                await CheckAsync(stoppingToken);
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private IEnumerable<Measurement<double>> Observe() =>
        Volatile.Read(ref _measured) == 0 ? [] : [new Measurement<double>(Volatile.Read(ref _drift))];

    private async Task CheckAsync(CancellationToken cancellationToken)
    {
        var sent = _time.GetUtcNow();
        DateTimeOffset? store;
        try
        {
            store = await _store.ReadClockAsync(cancellationToken);
        }
        catch (StoreUnavailableException)
        {
            return;
        }

        if (store is not { } storeNow)
        {
            return;
        }

        var received = _time.GetUtcNow();
        var drift = (sent + ((received - sent) / 2)) - storeNow;
        Volatile.Write(ref _drift, drift.TotalSeconds);
        Volatile.Write(ref _measured, 1);
        if (drift.Duration() >= _options.ClockDriftAlarm)
        {
            _alarmed = true;
            LogDrift(_logger, drift.TotalSeconds, _options.ClockDriftAlarm.TotalSeconds);
        }
        else if (_alarmed)
        {
            _alarmed = false;
            LogInStep(_logger, drift.TotalSeconds);
        }
    }

    [LoggerMessage(EventId = 1620, EventName = "ClockDrift", Level = LogLevel.Warning,
        Message = "This replica's clock is {DriftSeconds:F1} s off the store's (alarm at {AlarmSeconds:F0} s): its tokens' times and expiries disagree with the other replicas'; fix its time synchronisation")]
    private static partial void LogDrift(ILogger logger, double driftSeconds, double alarmSeconds);

    [LoggerMessage(EventId = 1621, EventName = "ClockInStep", Level = LogLevel.Information,
        Message = "This replica's clock is back in step with the store's ({DriftSeconds:F1} s)")]
    private static partial void LogInStep(ILogger logger, double driftSeconds);
}
