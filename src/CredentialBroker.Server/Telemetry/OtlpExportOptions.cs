namespace CredentialBroker.Server.Telemetry;

/// <summary>
/// The OTLP exporter (<c>CredentialBroker:Telemetry:Otlp</c>): traces and metrics to an OpenTelemetry collector, beside
/// the Prometheus endpoint. Headers (a collector's API key, say) come from the standard
/// <c>OTEL_EXPORTER_OTLP_HEADERS</c> environment variable, so no credential sits in these settings.
/// </summary>
public sealed class OtlpExportOptions
{
    /// <summary>The <see cref="Protocol"/> value for OTLP over gRPC.</summary>
    public const string Grpc = "grpc";

    /// <summary>The <see cref="Protocol"/> value for OTLP over HTTP with protobuf bodies.</summary>
    public const string HttpProtobuf = "http/protobuf";

    /// <summary>
    /// The collector's OTLP receiver: an absolute <c>http</c> or <c>https</c> URL without user info, query or fragment, such
    /// as <c>http://otel-collector:4317</c> (gRPC) or <c>http://otel-collector:4318</c> (HTTP; the broker appends
    /// <c>/v1/traces</c> and <c>/v1/metrics</c>). Default: none — OTLP export is off.
    /// </summary>
    public string? Endpoint { get; set; }

    /// <summary><c>grpc</c> or <c>http/protobuf</c>. Default <c>grpc</c>.</summary>
    public string Protocol { get; set; } = Grpc;

    /// <summary>How long one export request may take. Default 10 s; 1 s to 1 min.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How often metrics are pushed. Default 1 min; 1 s to 1 h.</summary>
    public TimeSpan MetricExportInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Whether OTLP export is on: an endpoint is set.</summary>
    internal bool Enabled => !string.IsNullOrWhiteSpace(Endpoint);
}
