using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using CredentialBroker.Abstractions;
using CredentialBroker.Core;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CredentialBroker.Server.Hosting;

/// <summary>
/// In development mode, writes the dev identities' credentials into the private dev credentials directory (see
/// <see cref="PrivateFiles"/>): every JWT-SVID in one JSON file, and one directory per identity with the files a SPIFFE
/// helper writes — <c>jwt_svid.token</c>, <c>svid.pem</c>, <c>svid_key.pem</c>, <c>svid_bundle.pem</c>. Once the broker
/// listens it prints a banner that says where everything is and what to try next.
/// </summary>
internal sealed partial class DevCredentialsWriter(
    DevIdentities identities,
    IOptions<DevModeOptions> devOptions,
    IOptions<CredentialBrokerOptions> brokerOptions,
    [FromKeyedServices(BrokerTime.ServiceKey)] TimeProvider time,
    IServer server,
    IHostApplicationLifetime lifetime,
    ILogger<DevCredentialsWriter> logger) : IHostedService
{
    /// <summary>The file names inside an identity's directory: those of spiffe-helper's defaults.</summary>
    public const string JwtSvidFileName = "jwt_svid.token";
    public const string CertificateFileName = "svid.pem";
    public const string KeyFileName = "svid_key.pem";
    public const string BundleFileName = "svid_bundle.pem";

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var issuer = brokerOptions.Value.Issuer!;
        var path = Path.GetFullPath(devOptions.Value.EffectiveCredentialsFile);
        var directory = Path.GetDirectoryName(path)!;
        var now = time.GetUtcNow();
        var bundle = identities.Authority.Certificate.ExportCertificatePem() + "\n";
        var document = new Dictionary<string, string>(StringComparer.Ordinal) { ["issuer"] = issuer };
        foreach (var (name, workloadPath, role) in DevIdentities.Workloads)
        {
            var jwtSvid = identities.Minter.Mint(workloadPath, issuer, now, DevIdentities.SvidLifetime);
            document[name] = jwtSvid;
            using var x509Svid = identities.Authority.Issue(DevIdentities.IdOf(workloadPath), now, DevIdentities.SvidLifetime,
                server: role.HasFlag(Abstractions.Identity.BrokerRoles.ResourceServer));
            var own = Path.Combine(directory, name);
            await WriteTextAsync(Path.Combine(own, JwtSvidFileName), jwtSvid + "\n", cancellationToken);
            await WriteTextAsync(Path.Combine(own, CertificateFileName), x509Svid.ExportCertificatePem() + "\n", cancellationToken);
            using (var key = x509Svid.GetECDsaPrivateKey()!)
            {
                await WriteTextAsync(Path.Combine(own, KeyFileName), key.ExportPkcs8PrivateKeyPem() + "\n", cancellationToken);
            }

            await WriteTextAsync(Path.Combine(own, BundleFileName), bundle, cancellationToken);
        }

        await PrivateFiles.WriteAsync(path, (stream, ct) => JsonSerializer.SerializeAsync(stream, document, DevJsonContext.Default.DictionaryStringString, ct), cancellationToken);
        LogDevMode(logger, path);
        lifetime.ApplicationStarted.Register(() => PrintHowTo(issuer, path, directory));
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private static Task WriteTextAsync(string path, string text, CancellationToken cancellationToken) =>
        PrivateFiles.WriteAsync(path, (stream, ct) => stream.WriteAsync(Encoding.ASCII.GetBytes(text), ct).AsTask(), cancellationToken);

    // "Now listening on:" is the line scripts and tests wait for (the framework's own start-up lines are quiet in dev mode).
    private void PrintHowTo(string issuer, string path, string directory)
    {
        var addresses = server.Features.Get<IServerAddressesFeature>()?.Addresses is { Count: > 0 } listening ? string.Join(", ", listening) : issuer;
        Console.WriteLine($$"""

            CredentialBroker is running in DEVELOPMENT MODE at {{issuer}} (never use it in production)
              Now listening on: {{addresses}}
              store:         embedded, in memory (nothing survives a restart)
              signing key:   ephemeral ES256
              trust domain:  spiffe://{{DevModeOptions.TrustDomain}} (dev SVIDs valid 24 h)
              identities:    {{string.Join(", ", DevIdentities.Workloads.Select(w => w.Name))}}
              JWT-SVIDs:     {{path}}
              per identity:  {{Path.Combine(directory, "<identity>")}}/{{JwtSvidFileName}}, {{CertificateFileName}}, {{KeyFileName}}, {{BundleFileName}}
              resource server: {{DevIdentities.ResourceServerId}} may introspect tokens for {{DevIdentities.ResourceServerResource}}

            Try it:
              ORCH=$(jq -r .orchestrator {{path}})
              curl -s -X POST {{issuer}}/v1/tasks -H "Authorization: Bearer $ORCH" -H 'Content-Type: application/json' \
                -d '{"agent":"spiffe://{{DevModeOptions.TrustDomain}}/agent","workflow":{"id":"wf-demo"},"authorization":[{"tool":"sql.query","destination":"postgres://payments","actions":["read"]}],"ttlSeconds":600}'
              BROKER={{issuer}} CREDENTIALS={{directory}} samples/run.sh   # every sample: orchestrator, agents, resource server, MCP server, SOC
            The README walks through the rest. Logs show warnings only; --Logging:LogLevel:Default=Information shows more.

            """);
    }

    [LoggerMessage(EventId = 1600, EventName = "DevModeStarted", Level = LogLevel.Information, // the banner says it on the console
        Message = "Development mode: embedded store, ephemeral keys, dev credentials written to {Path} and beside it. Never use this in production.")]
    private static partial void LogDevMode(ILogger logger, string path);
}
