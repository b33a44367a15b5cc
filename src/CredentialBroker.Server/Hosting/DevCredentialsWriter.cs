using System.Text.Json;
using CredentialBroker.Abstractions;
using CredentialBroker.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CredentialBroker.Server.Hosting;

/// <summary>
/// In development mode, writes the dev JWT-SVIDs to a file readable only by the current user (see
/// <see cref="PrivateFiles"/>), and prints a short how-to once the broker listens.
/// </summary>
internal sealed partial class DevCredentialsWriter(
    DevIdentities identities,
    IOptions<DevModeOptions> devOptions,
    IOptions<CredentialBrokerOptions> brokerOptions,
    [FromKeyedServices(BrokerTime.ServiceKey)] TimeProvider time,
    IHostApplicationLifetime lifetime,
    ILogger<DevCredentialsWriter> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var issuer = brokerOptions.Value.Issuer!;
        var path = Path.GetFullPath(devOptions.Value.EffectiveCredentialsFile);
        var now = time.GetUtcNow();
        var document = new Dictionary<string, string>(StringComparer.Ordinal) { ["issuer"] = issuer };
        foreach (var (name, workloadPath, _) in DevIdentities.Workloads)
        {
            document[name] = identities.Minter.Mint(workloadPath, issuer, now, DevIdentities.SvidLifetime);
        }

        await PrivateFiles.WriteAsync(path, (stream, ct) => JsonSerializer.SerializeAsync(stream, document, DevJsonContext.Default.DictionaryStringString, ct), cancellationToken);
        LogDevMode(logger, path);
        lifetime.ApplicationStarted.Register(() => PrintHowTo(issuer, path));
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private static void PrintHowTo(string issuer, string path)
    {
        Console.WriteLine($$"""

            CredentialBroker is running in DEVELOPMENT MODE at {{issuer}}
              store:        embedded, in memory (nothing survives a restart)
              signing key:  ephemeral ES256
              trust domain: spiffe://{{DevModeOptions.TrustDomain}} (dev JWT-SVIDs valid 24 h)
              credentials:  {{path}}
                            {"issuer", "orchestrator", "agent", "soc"}

            Try it:
              ORCH=$(jq -r .orchestrator {{path}})
              curl -s {{issuer}}/.well-known/oauth-authorization-server
              curl -s -X POST {{issuer}}/v1/tasks -H "Authorization: Bearer $ORCH" -H 'Content-Type: application/json' \
                -d '{"agent":"spiffe://{{DevModeOptions.TrustDomain}}/agent","workflow":{"id":"wf-demo"},"authorization":[{"tool":"sql.query","destination":"postgres://payments","actions":["read"]}],"ttlSeconds":600}'
            The README walks through the rest: introspect, complete, introspect again.

            """);
    }

    [LoggerMessage(EventId = 1600, EventName = "DevModeStarted", Level = LogLevel.Warning,
        Message = "Development mode: embedded store, ephemeral keys, dev JWT-SVIDs written to {Path}. Never use this in production.")]
    private static partial void LogDevMode(ILogger logger, string path);
}
