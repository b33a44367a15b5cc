using CredentialBroker.Abstractions;
using CredentialBroker.Server.Telemetry;
using CredentialBroker.Testing;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace CredentialBroker.Server.Tests.Telemetry;

/// <summary>
/// <c>CredentialBroker:Telemetry:Otlp</c>: off by default, documented defaults, every bad setting refused at start at once —
/// and a good one exports traces and metrics to a collector, with ids and without tokens.
/// </summary>
public sealed class OtlpExportTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Test]
    public void The_defaults_are_valid_off_and_the_documented_ones()
    {
        var options = new TelemetryOptions();

        var result = new TelemetryOptionsValidator().Validate(null, options);

        Assert.Multiple(() =>
        {
            Assert.That(result.Succeeded, Is.True, result.FailureMessage);
            Assert.That(options.Otlp.Endpoint, Is.Null);
            Assert.That(options.Otlp.Enabled, Is.False);
            Assert.That(options.Otlp.Protocol, Is.EqualTo("grpc"));
            Assert.That(options.Otlp.Timeout, Is.EqualTo(TimeSpan.FromSeconds(10)));
            Assert.That(options.Otlp.MetricExportInterval, Is.EqualTo(TimeSpan.FromMinutes(1)));
        });
    }

    [TestCase("http://otel-collector:4317", "grpc")]
    [TestCase("https://otel.example/otlp/", "http/protobuf")]
    public void Good_settings_are_valid(string endpoint, string protocol)
    {
        var options = new TelemetryOptions { Otlp = { Endpoint = endpoint, Protocol = protocol, Timeout = TimeSpan.FromSeconds(1), MetricExportInterval = TimeSpan.FromHours(1) } };

        var result = new TelemetryOptionsValidator().Validate(null, options);

        Assert.That(result.Succeeded, Is.True, result.FailureMessage);
    }

    [Test]
    public void Every_bad_setting_is_reported_at_once()
    {
        var options = new TelemetryOptions
        {
            Otlp = { Endpoint = "otel-collector:4317", Protocol = "http", Timeout = TimeSpan.Zero, MetricExportInterval = TimeSpan.FromHours(2) },
        };

        var result = new TelemetryOptionsValidator().Validate(null, options);

        Assert.Multiple(() =>
        {
            Assert.That(result.Failed, Is.True);
            Assert.That(result.Failures, Has.Some.Contains("CredentialBroker:Telemetry:Otlp:Endpoint 'otel-collector:4317' is not an absolute http or https URL"));
            Assert.That(result.Failures, Has.Some.Contains("CredentialBroker:Telemetry:Otlp:Protocol is 'http'"));
            Assert.That(result.Failures, Has.Some.Contains("CredentialBroker:Telemetry:Otlp:Timeout"));
            Assert.That(result.Failures, Has.Some.Contains("CredentialBroker:Telemetry:Otlp:MetricExportInterval"));
            Assert.That(result.Failures?.Count(), Is.EqualTo(4));
        });
    }

    [TestCase("http://user:hunter2@otel-collector:4318", "user info")]
    [TestCase("http//user:hunter2@otel-collector:4318", "not an absolute")]
    [TestCase("http://otel-collector:4318/?token=hunter2", "query or fragment")]
    public void A_bad_endpoint_is_refused_without_echoing_what_may_be_a_password(string endpoint, string problem)
    {
        var result = new TelemetryOptionsValidator().Validate(null, new TelemetryOptions { Otlp = { Endpoint = endpoint } });

        Assert.Multiple(() =>
        {
            Assert.That(result.FailureMessage, Does.Contain(problem));
            Assert.That(result.FailureMessage, Does.Not.Contain("hunter2"), "what may be a password is never shown");
        });
    }

    [Test]
    public async Task A_bad_otlp_setting_stops_the_broker_at_start_with_every_problem()
    {
        await using var broker = await BrokerProcess.RunToExitAsync(
            DevEnvironment(("CredentialBroker:Telemetry:Otlp:Endpoint", "otel-collector:4317"), ("CredentialBroker:Telemetry:Otlp:Protocol", "http")),
            "--urls", $"http://127.0.0.1:{BrokerProcess.FreePort()}", "--dev-credentials-file", CredentialsFile());

        Assert.Multiple(() =>
        {
            Assert.That(broker.ExitCode, Is.EqualTo(2));
            Assert.That(broker.Output, Does.Contain("CredentialBroker:Telemetry:Otlp:Endpoint 'otel-collector:4317' is not an absolute http or https URL"));
            Assert.That(broker.Output, Does.Contain("CredentialBroker:Telemetry:Otlp:Protocol is 'http'"));
            Assert.That(broker.Output, Does.Not.Contain("   at "), "no stack trace");
        });
    }

    [Test]
    public async Task A_good_otlp_setting_lets_the_broker_start()
    {
        var port = BrokerProcess.FreePort();
        await using var broker = await BrokerProcess.StartListeningAsync(
            DevEnvironment(("CredentialBroker:Telemetry:Otlp:Endpoint", "http://127.0.0.1:4317"), ("CredentialBroker:Telemetry:Otlp:Protocol", "grpc")),
            "--urls", $"http://127.0.0.1:{port}", "--dev-credentials-file", CredentialsFile());
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };

        var ready = await http.GetAsync("/readyz");

        Assert.That(ready.StatusCode, Is.EqualTo(System.Net.HttpStatusCode.OK), broker.Output);
    }

    [Test]
    public async Task A_good_otlp_endpoint_receives_the_brokers_traces_and_metrics_beside_prometheus()
    {
        using var collector = new FakeCollector();
        using var app = BrokerApp.Redis();
        app.Settings["CredentialBroker:Telemetry:Otlp:Endpoint"] = collector.Endpoint;
        app.Settings["CredentialBroker:Telemetry:Otlp:Protocol"] = "http/protobuf";

        var (taskId, token, jti) = await app.As(BrokerApp.Orchestrator).CreateTaskOkAsync(app.AgentId);
        // Now rather than after the batch delay and the export interval (the Prometheus reader, pulled, reports false).
        app.Services.GetRequiredService<TracerProvider>().ForceFlush();
        app.Services.GetRequiredService<MeterProvider>().ForceFlush();
        var traces = await collector.WaitForAsync("/v1/traces", body => body.Contains(taskId, StringComparison.Ordinal), Patience, "the issuance span");
        var metrics = await collector.WaitForAsync("/v1/metrics", body => body.Contains("credentialbroker.revocation.processed", StringComparison.Ordinal), Patience, "the broker's counters");
        var scrape = await app.CreateClient().GetStringAsync("/metrics");

        Assert.Multiple(() =>
        {
            Assert.That(traces, Does.Contain(BrokerTelemetry.TaskIssueSpan));
            Assert.That(traces, Does.Contain(jti));
            Assert.That(traces, Does.Contain(BrokerTelemetryTags.TaskId));
            Assert.That(traces, Does.Contain("credentialbroker"), "the service name");
            Assert.That(metrics, Does.Contain("credentialbroker.revocation.queue_depth"));
            Assert.That(collector.Exports().Select(e => e.Body), Has.None.Contains(token).And.None.Contains(token.Split('.')[2]), "no token leaves in an export");
            Assert.That(scrape, Does.Contain("credentialbroker_revocation_processed_total"), "Prometheus is still served");
        });
    }

    private static Dictionary<string, string> DevEnvironment(params (string Key, string Value)[] settings)
    {
        var environment = new Dictionary<string, string> { ["ASPNETCORE_ENVIRONMENT"] = "Development" };
        foreach (var (key, value) in settings)
        {
            environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        return environment;
    }

    private static string CredentialsFile() => Path.Combine(Scratch.CreateDirectory("cb-dev-").FullName, "dev.json");
}
