using CredentialBroker.Abstractions;
using Microsoft.Extensions.Options;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace CredentialBroker.Server.Telemetry;

/// <summary>
/// The broker's OpenTelemetry: metrics (meter <c>CredentialBroker</c> and ASP.NET Core's) served as Prometheus text at
/// <c>/metrics</c>, traces (activity source <c>CredentialBroker</c> and ASP.NET Core's request spans), and both exported
/// over OTLP when <c>CredentialBroker:Telemetry:Otlp:Endpoint</c> is set. Names: docs/operations.md, "Telemetry".
/// </summary>
internal static class BrokerTelemetryExtensions
{
    /// <summary>The named exporter options of the broker's OTLP exporters (one per signal: the HTTP paths differ).</summary>
    internal const string OtlpTraces = "credentialbroker-traces";
    internal const string OtlpMetrics = "credentialbroker-metrics";

    /// <summary>The default service name in OTLP resources (<c>OTEL_SERVICE_NAME</c> still wins).</summary>
    public const string ServiceName = "credentialbroker";

    // Request latency from sub-millisecond to the secret issue timeout: the exchange target (p99 5 ms) and the default
    // SecretIssueTimeout (30 s) are boundaries. ASP.NET Core's own advice starts at 5 ms, too coarse for the broker.
    private static readonly double[] RequestBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.0075, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 10, 30];

    private static readonly PathString[] Unsampled = ["/metrics", "/healthz", "/readyz"];

    public static IServiceCollection AddBrokerTelemetry(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<TelemetryOptions>().BindConfiguration(TelemetryOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<TelemetryOptions>, TelemetryOptionsValidator>();
        services.AddHostedService<MetricsWarmUp>();

        // Whether an exporter exists is decided while composing the host (like the store); its settings come from the
        // validated options when the providers are built.
        var otlp = !string.IsNullOrWhiteSpace(configuration[$"{TelemetryOptions.SectionName}:Otlp:Endpoint"]);
        var telemetry = services.AddOpenTelemetry()
            .ConfigureResource(resource => resource
                .AddService(ServiceName, serviceVersion: typeof(BrokerTelemetryExtensions).Assembly.GetName().Version?.ToString())
                .AddEnvironmentVariableDetector())
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(BrokerTelemetry.Name)
                    .AddAspNetCoreInstrumentation()
                    .AddView("http.server.request.duration", new ExplicitBucketHistogramConfiguration { Boundaries = RequestBuckets })
                    .AddPrometheusExporter();
                if (otlp)
                {
                    metrics.AddOtlpExporter(OtlpMetrics, configureExporterAndMetricReader: null);
                }
            })
            .WithTracing(tracing =>
            {
                tracing.AddSource(BrokerTelemetry.Name)
                    .AddAspNetCoreInstrumentation(o => o.Filter = http => !Unsampled.Any(path => http.Request.Path.StartsWithSegments(path)));
                if (otlp)
                {
                    tracing.AddOtlpExporter(OtlpTraces, configure: null);
                }
            });
        if (otlp)
        {
            services.AddOptions<OtlpExporterOptions>(OtlpTraces).Configure<IOptions<TelemetryOptions>>((exporter, options) => Apply(exporter, options.Value.Otlp, "v1/traces"));
            services.AddOptions<OtlpExporterOptions>(OtlpMetrics).Configure<IOptions<TelemetryOptions>>((exporter, options) => Apply(exporter, options.Value.Otlp, "v1/metrics"));
            services.AddOptions<MetricReaderOptions>(OtlpMetrics).Configure<IOptions<TelemetryOptions>>((reader, options) =>
                reader.PeriodicExportingMetricReaderOptions.ExportIntervalMilliseconds = (int)options.Value.Otlp.MetricExportInterval.TotalMilliseconds);
        }

        return services;
    }

    private static void Apply(OtlpExporterOptions exporter, OtlpExportOptions options, string httpPath)
    {
        var endpoint = new Uri(options.Endpoint!, UriKind.Absolute);
        exporter.Protocol = options.Protocol == OtlpExportOptions.HttpProtobuf ? OtlpExportProtocol.HttpProtobuf : OtlpExportProtocol.Grpc;

        // Set in code, the endpoint is used as given: over HTTP each signal needs its own path.
        exporter.Endpoint = exporter.Protocol == OtlpExportProtocol.HttpProtobuf ? new Uri(endpoint.AbsoluteUri.TrimEnd('/') + "/" + httpPath) : endpoint;
        exporter.TimeoutMilliseconds = (int)options.Timeout.TotalMilliseconds;
    }
}
