using Microsoft.Extensions.Options;

namespace CredentialBroker.Server.Telemetry;

/// <summary>Validates <see cref="TelemetryOptions"/> at start, reporting every problem at once.</summary>
internal sealed class TelemetryOptionsValidator : IValidateOptions<TelemetryOptions>
{
    private const string Otlp = TelemetryOptions.SectionName + ":Otlp";

    public ValidateOptionsResult Validate(string? name, TelemetryOptions options)
    {
        if (options.Otlp is not { } otlp)
        {
            return ValidateOptionsResult.Fail($"{Otlp} is required.");
        }

        var failures = new List<string>();
        if (otlp.Enabled && EndpointProblem(otlp.Endpoint!) is { } problem)
        {
            failures.Add(problem);
        }

        if (otlp.Protocol is not (OtlpExportOptions.Grpc or OtlpExportOptions.HttpProtobuf))
        {
            failures.Add($"{Otlp}:Protocol is '{otlp.Protocol}'; it must be '{OtlpExportOptions.Grpc}' or '{OtlpExportOptions.HttpProtobuf}'.");
        }

        if (otlp.Timeout < TimeSpan.FromSeconds(1) || otlp.Timeout > TimeSpan.FromMinutes(1))
        {
            failures.Add($"{Otlp}:Timeout is {otlp.Timeout}; it must lie between 1 s and 1 min.");
        }

        if (otlp.MetricExportInterval < TimeSpan.FromSeconds(1) || otlp.MetricExportInterval > TimeSpan.FromHours(1))
        {
            failures.Add($"{Otlp}:MetricExportInterval is {otlp.MetricExportInterval}; it must lie between 1 s and 1 h.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static string? EndpointProblem(string endpoint)
    {
        if (!Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            return $"{Otlp}:Endpoint {Shown(endpoint)} is not an absolute http or https URL.";
        }

        // Not echoed: whatever precedes the host may be a password.
        if (uri.UserInfo.Length > 0)
        {
            return $"{Otlp}:Endpoint carries user info; give the collector's credentials in OTEL_EXPORTER_OTLP_HEADERS instead.";
        }

        return uri.Query.Length > 0 || uri.Fragment.Length > 0
            ? $"{Otlp}:Endpoint {Shown(endpoint)} has a query or fragment; give the receiver's base URL."
            : null;
    }

    // User info or a query may hold a password or a key, even in a value that does not parse.
    private static string Shown(string endpoint) => endpoint.IndexOfAny(['@', '?', '#']) >= 0 ? "(not shown: it may hold a credential)" : $"'{endpoint}'";
}
