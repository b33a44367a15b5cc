using System.Diagnostics.Metrics;

namespace CredentialBroker.Client.ResourceServers;

/// <summary>The resource-server library's instruments (meter <c>CredentialBroker.Client</c>).</summary>
internal sealed class ClientMetrics
{
    public const string MeterName = "CredentialBroker.Client";

    private readonly Counter<long> _checks;
    private readonly Histogram<double> _feedLag;

    public ClientMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        _checks = meter.CreateCounter<long>("credentialbroker.client.token_checks", description: "Broker access tokens checked after signature validation, by outcome and by what decided revocation status (feed or introspection).");
        _feedLag = meter.CreateHistogram<double>("credentialbroker.client.feed_lag", "s", "From the broker recording a revocation to this resource server applying it from the feed (two clocks: includes their skew).");
    }

    public void Checked(string outcome, string via) =>
        _checks.Add(1, new KeyValuePair<string, object?>("outcome", outcome), new KeyValuePair<string, object?>("via", via));

    public void FeedLag(TimeSpan lag) => _feedLag.Record(Math.Max(0, lag.TotalSeconds));
}
