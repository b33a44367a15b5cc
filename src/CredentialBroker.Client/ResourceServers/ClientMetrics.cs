using System.Diagnostics.Metrics;

namespace CredentialBroker.Client.ResourceServers;

/// <summary>The resource-server library's instruments (meter <c>CredentialBroker.Client</c>).</summary>
internal sealed class ClientMetrics
{
    public const string MeterName = "CredentialBroker.Client";

    // Milliseconds (a follower that is current) to minutes (one that reconnects after an outage): OpenTelemetry's default
    // buckets (0, 5, 10, 25, … 10000), made for milliseconds, would put every lag in seconds below 5 in one bucket.
    private static readonly double[] FeedLagBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300];

    private readonly Counter<long> _checks;
    private readonly Histogram<double> _feedLag;

    public ClientMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        _checks = meter.CreateCounter<long>("credentialbroker.client.token_checks", description: "Broker access tokens checked after signature validation, by outcome and by what decided revocation status (feed or introspection).");
        _feedLag = meter.CreateHistogram("credentialbroker.client.feed_lag", "s", "From the broker recording a revocation to this resource server applying it from the feed (two clocks: includes their skew).",
            tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = FeedLagBuckets });
    }

    public void Checked(string outcome, string via) =>
        _checks.Add(1, new KeyValuePair<string, object?>("outcome", outcome), new KeyValuePair<string, object?>("via", via));

    public void FeedLag(TimeSpan lag) => _feedLag.Record(Math.Max(0, lag.TotalSeconds));
}
