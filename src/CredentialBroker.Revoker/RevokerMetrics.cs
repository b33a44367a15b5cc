using System.Diagnostics.Metrics;

namespace CredentialBroker.Revoker;

/// <summary>
/// The revoker's instruments (meter <c>CredentialBroker</c>): how long each stage of an invalidation takes
/// after its trigger, how late expiries are swept, how deep the work queue is, and how often a credential
/// turns irrevocable. Names are an operational contract.
/// </summary>
public sealed class RevokerMetrics
{
    /// <summary>The meter name.</summary>
    public const string MeterName = "CredentialBroker";

    private readonly Histogram<double> _lag;
    private readonly Histogram<double> _sweepLag;
    private readonly Counter<long> _irrevocable;
    private readonly Counter<long> _processed;
    private long _queueDepth;

    /// <summary>Creates the instruments.</summary>
    public RevokerMetrics(IMeterFactory meters)
    {
        ArgumentNullException.ThrowIfNull(meters);
        var meter = meters.Create(MeterName);
        _lag = meter.CreateHistogram<double>("credentialbroker.revocation.lag", "s",
            "Time from a revocation's trigger (the request, or the credential's expiry) to a stage: recorded, downstream (feed or provider), verified.");
        _sweepLag = meter.CreateHistogram<double>("credentialbroker.expiry.sweep_lag", "s", "Time from a credential's expiry to the sweep that processed it.");
        _irrevocable = meter.CreateCounter<long>("credentialbroker.revocation.irrevocable", "{credential}", "Credentials whose downstream revocation ran out of attempts.");
        _processed = meter.CreateCounter<long>("credentialbroker.revocation.processed", "{credential}", "Credentials whose invalidation the revoker finished.");
        meter.CreateObservableGauge("credentialbroker.revocation.queue_depth", () => Interlocked.Read(ref _queueDepth), "{entry}", "Revocation work waiting or in flight.");
    }

    /// <summary>Records the lag of one stage of one invalidation.</summary>
    public void Lag(string stage, string reason, TimeSpan lag) =>
        _lag.Record(Math.Max(0, lag.TotalSeconds), new KeyValuePair<string, object?>("stage", stage), new KeyValuePair<string, object?>("reason", reason));

    /// <summary>Records how late an expiry was swept.</summary>
    public void SweepLag(TimeSpan lag) => _sweepLag.Record(Math.Max(0, lag.TotalSeconds));

    /// <summary>Counts a credential turning irrevocable.</summary>
    public void Irrevocable(string reason) => _irrevocable.Add(1, new KeyValuePair<string, object?>("reason", reason));

    /// <summary>Counts a finished invalidation.</summary>
    public void Processed(string reason) => _processed.Add(1, new KeyValuePair<string, object?>("reason", reason));

    /// <summary>Remembers the last measured queue depth for the gauge.</summary>
    public void QueueDepth(long depth) => Interlocked.Exchange(ref _queueDepth, depth);
}
