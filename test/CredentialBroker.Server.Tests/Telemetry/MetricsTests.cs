using System.Globalization;
using System.Text.RegularExpressions;
using CredentialBroker.Server.Tests.Revocation;
using CredentialBroker.Testing;

namespace CredentialBroker.Server.Tests.Telemetry;

/// <summary>
/// What <c>/metrics</c> shows against what docs/operations.md ("Metrics") promises: every counter and gauge from the first
/// scrape of a fresh broker, every histogram from its first observation with the documented buckets, and the suggested
/// revocation-lag alert computable from those buckets.
/// </summary>
public sealed partial class MetricsTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private const string ClockDrift = "credentialbroker_clock_drift_seconds";

    [Test]
    public async Task The_clock_drift_gauge_is_documented_and_appears_once_the_replica_has_compared_its_clock()
    {
        var documented = Documented().Single(m => m.Series == ClockDrift);
        using var app = BrokerApp.Redis();

        await Poll.UntilAsync(async () => Series(await app.CreateClient().GetStringAsync("/metrics"), ClockDrift).Count > 0, Patience,
            "the drift gauge is scraped after the first comparison with Redis's clock");

        Assert.Multiple(() =>
        {
            Assert.That(documented.Type, Is.EqualTo("gauge"));
            Assert.That(documented.FromStart, Is.False, "documented as appearing after the first comparison");
        });
    }

    [Test]
    public async Task A_fresh_broker_shows_every_documented_counter_and_gauge_on_its_first_scrape()
    {
        var documented = Documented();
        var fromStart = documented.Where(m => m.FromStart).ToList();
        var reasons = DocumentedReasons();
        using var app = BrokerApp.Redis();

        var scrape = await app.CreateClient().GetStringAsync("/metrics");

        Assert.Multiple(() =>
        {
            Assert.That(documented.Where(m => m.Type is "counter" or "gauge" && m.Series != ClockDrift), Is.EquivalentTo(fromStart), "every counter and gauge but the clock drift is documented as present from the start");
            Assert.That(fromStart, Has.Count.EqualTo(3));
            Assert.That(reasons, Has.Length.EqualTo(7));
            foreach (var metric in fromStart)
            {
                Assert.That(Series(scrape, metric.Series), Is.Not.Empty, $"{metric.Series} on a fresh broker");
            }

            foreach (var counter in fromStart.Where(m => m.Type == "counter"))
            {
                foreach (var reason in reasons)
                {
                    var zero = Series(scrape, counter.Series).Any(line => line.Contains($"reason=\"{reason}\"", StringComparison.Ordinal) && line.EndsWith(" 0", StringComparison.Ordinal));
                    Assert.That(zero, Is.True, $"{counter.Series} at 0 for {reason}");
                }
            }
        });
    }

    [Test]
    public async Task Every_documented_histogram_appears_with_its_first_observation_and_the_documented_buckets()
    {
        var histograms = Documented().Where(m => m.Type == "histogram").ToList();
        using var app = BrokerApp.Redis();
        using var processed = new ProcessedSignal(app);
        var orchestrator = app.As(BrokerApp.Orchestrator);
        await orchestrator.CreateTaskOkAsync(app.AgentId, ttlSeconds: 30);
        var (completed, token, _) = await orchestrator.CreateTaskOkAsync(app.AgentId);
        await app.As(BrokerApp.Agent).AccessTokenAsync(token);
        await orchestrator.ChangeStateAsync(completed, "completed");
        app.Time.Advance(TimeSpan.FromMinutes(1)); // the first task's token expires: the sweeper's lag
        await processed.WaitForAsync(3, Patience);

        var scrape = string.Empty;
        await Poll.UntilAsync(async () =>
        {
            scrape = await app.CreateClient().GetStringAsync("/metrics");
            return histograms.All(h => Series(scrape, h.Series + "_bucket").Count > 0);
        }, Patience, "every documented histogram on /metrics");
        var lagBuckets = Boundaries(scrape, "credentialbroker_revocation_lag_seconds_bucket");

        Assert.Multiple(() =>
        {
            Assert.That(histograms.Select(h => h.Series), Is.SupersetOf(new[] { "credentialbroker_revocation_lag_seconds", "credentialbroker_expiry_sweep_lag_seconds", "http_server_request_duration_seconds" }));
            Assert.That(histograms.Where(h => h.FromStart), Is.Empty, "no histogram is claimed before its first observation");
            Assert.That(lagBuckets, Is.EqualTo(DocumentedBuckets("revocation lag and sweep lag")));
            Assert.That(Boundaries(scrape, "credentialbroker_expiry_sweep_lag_seconds_bucket"), Is.EqualTo(lagBuckets));
            Assert.That(Boundaries(scrape, "http_server_request_duration_seconds_bucket"), Is.EqualTo(DocumentedBuckets("request duration")));
            Assert.That(Series(scrape, "http_server_request_duration_seconds_bucket"), Has.Some.Contains("http_route=\"/v1/tasks/\""), "issuance, by the documented route");
            Assert.That(Series(scrape, "http_server_request_duration_seconds_bucket"), Has.Some.Contains("http_route=\"/oauth2/token\""), "exchange, by the documented route");
        });
    }

    [Test]
    public async Task The_revocation_lag_alert_in_operations_md_is_computable_from_the_exported_buckets()
    {
        var alert = File.ReadAllLines(Repository.Path("docs", "operations.md")).Single(l => l.StartsWith("histogram_quantile(", StringComparison.Ordinal) && l.Contains("revocation_lag", StringComparison.Ordinal));
        var parts = AlertPattern().Match(alert);
        Assert.That(parts.Success, Is.True, $"the alert reads histogram_quantile(q, …(series{{matcher}}[window]))) > threshold: {alert}");
        using var app = BrokerApp.Redis();
        using var processed = new ProcessedSignal(app);
        var (taskId, _, _) = await app.As(BrokerApp.Orchestrator).CreateTaskOkAsync(app.AgentId);
        await app.As(BrokerApp.Orchestrator).ChangeStateAsync(taskId, "completed");
        await processed.WaitForAsync(1, Patience);

        var series = parts.Groups["series"].Value;
        var matcher = parts.Groups["matcher"].Value;
        var threshold = double.Parse(parts.Groups["threshold"].Value, CultureInfo.InvariantCulture);
        var scrape = string.Empty;
        await Poll.UntilAsync(async () =>
        {
            scrape = await app.CreateClient().GetStringAsync("/metrics");
            return Series(scrape, series).Any(l => l.Contains(matcher, StringComparison.Ordinal));
        }, Patience, $"{series}{{{matcher}}} on /metrics");
        var buckets = Boundaries(scrape, series, matcher);

        Assert.Multiple(() =>
        {
            Assert.That(parts.Groups["quantile"].Value, Is.EqualTo("0.99"));
            Assert.That(buckets, Does.Contain(threshold), "the threshold is a bucket boundary: p99 above it is decided exactly");
            Assert.That(buckets.Count(b => b < threshold), Is.GreaterThanOrEqualTo(8), "enough buckets below the threshold to read the p99 of a healthy broker");
            Assert.That(buckets.Count(b => b > threshold), Is.GreaterThanOrEqualTo(4), "and above it, to see how bad it is");
        });
    }

    private sealed record Metric(string Instrument, string Series, string Type, bool FromStart);

    /// <summary>The rows of operations.md's metrics table.</summary>
    private static List<Metric> Documented()
    {
        var rows = File.ReadAllLines(Repository.Path("docs", "operations.md"))
            .SkipWhile(l => l != "### Metrics").TakeWhile(l => l != "### Traces")
            .Where(l => l.StartsWith("| `", StringComparison.Ordinal));
        return [.. rows.Select(row =>
        {
            var cells = row.Trim('|').Split('|').Select(c => c.Trim()).ToArray();
            return new Metric(cells[0].Split('`')[1], cells[1].Trim('`'), cells[2].Split(',')[0], cells[4].StartsWith("from the start", StringComparison.Ordinal));
        })];
    }

    private static string[] DocumentedReasons()
    {
        var text = string.Join(' ', File.ReadAllLines(Repository.Path("docs", "operations.md")));
        var sentence = text[text.IndexOf("The reasons are the feed's:", StringComparison.Ordinal)..].Split('.')[0];
        return [.. sentence.Split('`').Where((_, i) => i % 2 == 1)];
    }

    /// <summary>The bucket list after "**<paramref name="name"/>**:" in operations.md.</summary>
    private static double[] DocumentedBuckets(string name)
    {
        var text = string.Join(' ', File.ReadAllLines(Repository.Path("docs", "operations.md")).Select(l => l.Trim()));
        var list = text[(text.IndexOf($"**{name}**:", StringComparison.Ordinal) + name.Length + 5)..].Split('—')[0];
        return [.. list.Split(',').Select(b => double.Parse(b.Trim(), CultureInfo.InvariantCulture))];
    }

    private static List<string> Series(string scrape, string name) =>
        [.. scrape.Split('\n').Where(l => l.StartsWith(name + "{", StringComparison.Ordinal) || l.StartsWith(name + " ", StringComparison.Ordinal))];

    private static double[] Boundaries(string scrape, string bucketSeries, string matcher = "") =>
        [.. Series(scrape, bucketSeries).Where(l => l.Contains(matcher, StringComparison.Ordinal))
            .Select(l => LePattern().Match(l).Groups[1].Value).Where(le => le != "+Inf")
            .Select(le => double.Parse(le, CultureInfo.InvariantCulture)).Distinct().Order()];

    [GeneratedRegex("""le="([^"]+)""")]
    private static partial Regex LePattern();

    [GeneratedRegex("""^histogram_quantile\((?<quantile>[0-9.]+), .*\((?<series>[a-z_]+_bucket)\{(?<matcher>[^}]*)\}\[[0-9a-z]+\]\)\)\) > (?<threshold>[0-9.]+)$""")]
    private static partial Regex AlertPattern();
}
