using CredentialBroker.Policy;
using CredentialBroker.Server.Hosting;
using Microsoft.Extensions.Options;

var switches = new Dictionary<string, string>(StringComparer.Ordinal)
{
    ["--dev-credentials-file"] = $"{DevModeOptions.SectionName}:CredentialsFile",
};

try
{
    var builder = WebApplication.CreateBuilder(args);
    builder.Configuration.AddCommandLine(args, switches);
    builder.AddCredentialBrokerServer();
    var app = builder.Build();
    app.MapCredentialBroker();
    await app.RunAsync();
    return 0;
}
catch (Exception ex) when (ex is BrokerStartupException or OptionsValidationException or PolicyLoadException)
{
    // Configuration mistakes get a plain explanation, not a stack trace.
    var failures = ex switch
    {
        OptionsValidationException validation => validation.Failures,
        PolicyLoadException { Errors.Count: > 0 } policy => policy.Errors.Select(e => "policy: " + e),
        _ => [ex.Message],
    };
    await Console.Error.WriteLineAsync("CredentialBroker cannot start:");
    foreach (var failure in failures)
    {
        await Console.Error.WriteLineAsync("  - " + failure);
    }

    return 2;
}

/// <summary>The broker's entry point (public so integration tests can host it).</summary>
public partial class Program;
