using CredentialBroker.Client;
using CredentialBroker.Client.Agents;
using CredentialBroker.Client.Orchestrators;
using CredentialBroker.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace CredentialBroker.Server.Tests.Client;

/// <summary>
/// The client authenticating with its X.509-SVID over mutual TLS (no bearer SVID at all), against a development-mode
/// broker process serving HTTPS: the dev identities' X.509-SVIDs from the files dev mode writes, the broker's TLS
/// certificate checked against a configured authority.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class MutualTlsClientTests : IAsyncDisposable
{
    private readonly TestPki _pki = new("tls.example");
    private readonly string _directory = Directory.CreateTempSubdirectory("cb-mtls-").FullName;
    private BrokerProcess? _broker;
    private ServiceProvider? _services;

    public async ValueTask DisposeAsync()
    {
        if (_services is not null)
        {
            await _services.DisposeAsync();
        }

        if (_broker is not null)
        {
            await _broker.DisposeAsync();
        }

        _pki.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    private string Credentials => Path.Combine(_directory, "credentials");

    private async Task<string> StartBrokerAsync()
    {
        using var certificate = _pki.Issue("spiffe://tls.example/broker", server: true);
        var (certificateFile, keyFile) = _pki.Write(certificate, "broker");
        var url = $"https://127.0.0.1:{BrokerProcess.FreePort()}";
        _broker = await BrokerProcess.StartListeningAsync(new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Development",
            ["Kestrel__Certificates__Default__Path"] = certificateFile,
            ["Kestrel__Certificates__Default__KeyPath"] = keyFile,
        }, "--urls", url, "--dev-credentials-file", Path.Combine(Credentials, "dev-credentials.json"));
        return url;
    }

    // One client per workload, each presenting the X.509-SVID in its directory.
    private (OrchestratorClient Orchestrator, AgentClient Agent) Clients(string broker, string orchestratorSvids, string agentSvids)
    {
        var services = new ServiceCollection();
        foreach (var (name, svids) in new[] { ("orchestrator", orchestratorSvids), ("agent", agentSvids) })
        {
            services.AddCredentialBrokerClient(name, options =>
            {
                options.BrokerUrl = new Uri(broker);
                options.Authentication = BrokerAuthentication.X509Svid;
                options.BrokerCertificateAuthoritiesFile = _pki.BundleFile;
                options.Svids.Directory = svids;
            });
        }

        _services = services.BuildServiceProvider();
        return (_services.GetRequiredKeyedService<OrchestratorClient>("orchestrator"), _services.GetRequiredKeyedService<AgentClient>("agent"));
    }

    private static TaskRequest Task() => new()
    {
        Agent = "spiffe://dev.local/agent",
        Workflow = new WorkflowReference { Id = "wf-invoices", Designer = "team-payments", Version = "3" },
        Authorization = [new TaskGrant { Tool = "sql.query", Destination = "postgres://payments", Actions = ["read"] }],
        Ttl = TimeSpan.FromMinutes(10),
    };

    [Test]
    public async Task Workloads_authenticated_by_their_x509_svids_create_a_task_and_exchange_for_a_certificate_bound_token()
    {
        var broker = await StartBrokerAsync();
        var (orchestrator, agent) = Clients(broker, Path.Combine(Credentials, "orchestrator"), Path.Combine(Credentials, "agent"));

        var task = await orchestrator.CreateTaskAsync(Task());
        var token = await agent.ExchangeAsync(task.Value.Token, "postgres://payments");

        Assert.Multiple(() =>
        {
            Assert.That(task.IsSuccess, Is.True, task.ToString());
            Assert.That(token.IsSuccess, Is.True, token.ToString());
            Assert.That(JwtParts.Payload(token.Value.Token)["cnf"]?["x5t#S256"]?.ToString(), Is.Not.Empty, "bound to the agent's certificate (RFC 8705)");
            Assert.That(token.Value.IssuedTokenType, Is.EqualTo(TokenTypes.AccessToken));
        });
    }

    [Test]
    public async Task An_x509_svid_from_an_authority_the_broker_does_not_trust_authenticates_no_one()
    {
        var broker = await StartBrokerAsync();
        var untrusted = Path.Combine(_directory, "untrusted");
        Directory.CreateDirectory(untrusted);
        using (var certificate = _pki.Issue("spiffe://dev.local/orchestrator"))
        {
            var (certificateFile, keyFile) = _pki.Write(certificate, "untrusted");
            File.Copy(certificateFile, Path.Combine(untrusted, "svid.pem"));
            File.Copy(keyFile, Path.Combine(untrusted, "svid_key.pem"));
            File.Copy(_pki.BundleFile, Path.Combine(untrusted, "svid_bundle.pem"));
        }

        var (trusted, _) = Clients(broker, Path.Combine(Credentials, "orchestrator"), Path.Combine(Credentials, "agent"));
        var valid = await trusted.CreateTaskAsync(Task());
        await _services!.DisposeAsync();
        var (impostor, _) = Clients(broker, untrusted, Path.Combine(Credentials, "agent"));
        var refused = await impostor.CreateTaskAsync(Task());

        Assert.Multiple(() =>
        {
            Assert.That(valid.IsSuccess, Is.True, valid.ToString());
            Assert.That(refused.Error?.Status, Is.EqualTo(401), refused.ToString());
        });
    }
}
