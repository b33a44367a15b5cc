namespace CredentialBroker.Server.Telemetry;

/// <summary>
/// Where the broker's traces and metrics go, bound from <c>CredentialBroker:Telemetry</c>. Prometheus text is always
/// served at <c>/metrics</c>; OTLP export is off until <see cref="OtlpExportOptions.Endpoint"/> is set.
/// </summary>
public sealed class TelemetryOptions
{
    /// <summary>The configuration section these options bind from.</summary>
    public const string SectionName = "CredentialBroker:Telemetry";

    /// <summary>The OTLP exporter of traces and metrics (<c>CredentialBroker:Telemetry:Otlp</c>). Default: off.</summary>
    public OtlpExportOptions Otlp { get; set; } = new();
}
