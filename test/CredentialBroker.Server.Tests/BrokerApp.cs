using System.Net.Http.Headers;
using CredentialBroker.Core;
using CredentialBroker.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;

namespace CredentialBroker.Server.Tests;

/// <summary>
/// The broker hosted in memory. <see cref="Redis"/> runs production mode against a real redis-server (unique
/// key prefix, signing key from a PEM file, a test trust domain bundle from a file); <see cref="Dev"/> runs
/// development mode on the embedded store. Time is a <see cref="FakeTimeProvider"/> starting at the real now
/// (Redis retention is absolute); logs are captured to check that no secret is ever written.
/// </summary>
internal sealed class BrokerApp : WebApplicationFactory<Program>
{
    public const string TestIssuer = "https://broker.test";

    private readonly string? _redis;
    private readonly string _devCredentialsFile = Path.Combine(Directory.CreateTempSubdirectory("cb-dev-").FullName, "dev-credentials.json");

    private BrokerApp(string? redis) => _redis = redis;

    public static BrokerApp Redis(string? connectionString = null) => new(connectionString ?? RedisFixture.Server.ConnectionString);

    public static BrokerApp Dev() => new(null);

    public FakeTimeProvider Time { get; } = new(TimeProvider.System.GetUtcNowSeconds());

    public TestTrustDomain Trust { get; } = new("test.example");

    public string KeyPrefix { get; } = "t" + Guid.NewGuid().ToString("N")[..12];

    public string DevCredentialsFile => _devCredentialsFile;

    /// <summary>Settings applied after the defaults, to vary one thing per test.</summary>
    public Dictionary<string, string> Settings { get; } = new(StringComparer.Ordinal);

    public string Issuer => _redis is null ? "http://127.0.0.1:8080" : TestIssuer;

    public FakeLogCollector Logs => Services.GetFakeLogCollector();

    public const string Orchestrator = "/orchestrators/billing";
    public const string OtherOrchestrator = "/orchestrators/other";
    public const string Agent = "/agents/invoice-bot";
    public const string OtherAgent = "/agents/other-bot";
    public const string Soc = "/soc";
    public const string ResourceServer = "/resource-servers/payments-db";
    public const string NoRole = "/nobody";

    public string AgentId => Trust.Id(Agent);

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Development");
        builder.UseSetting("CredentialBroker:TrustBundles:test.example", Trust.BundlePath);
        builder.UseSetting("CredentialBroker:Roles:Orchestrator:0", "spiffe://test.example/orchestrators/");
        builder.UseSetting("CredentialBroker:Roles:Agent:0", "spiffe://test.example/agents/");
        builder.UseSetting("CredentialBroker:Roles:Soc:0", "spiffe://test.example/soc");
        builder.UseSetting("CredentialBroker:Roles:ResourceServer:0", "spiffe://test.example/resource-servers/");
        if (_redis is not null)
        {
            builder.UseSetting("ConnectionStrings:Redis", _redis);
            builder.UseSetting("CredentialBroker:Issuer", TestIssuer);
            builder.UseSetting("CredentialBroker:SigningKeys:0:Path", KeyFiles.WriteEs256Pem());
            builder.UseSetting("CredentialBroker:Redis:KeyPrefix", KeyPrefix);
            builder.UseSetting("CredentialBroker:Redis:RetryAttempts", "1");
            // These tests check behaviour, not latency: on a 2-core machine running several test assemblies at once,
            // an operation can wait longer than the production 2 s. A stopped Redis still fails fast (no backlog).
            builder.UseSetting("CredentialBroker:Redis:OperationTimeout", "00:00:10");
        }
        else
        {
            builder.UseSetting("CredentialBroker:Dev:CredentialsFile", _devCredentialsFile);
        }

        foreach (var (key, value) in Settings)
        {
            builder.UseSetting(key, value);
        }

        builder.ConfigureTestServices(services =>
        {
            services.AddSingleton<TimeProvider>(Time);
            services.AddFakeLogging();
        });
    }

    /// <summary>An SVID of the test trust domain for <paramref name="path"/>, addressed to this broker.</summary>
    public string Svid(string path) => Trust.Svid(path, Issuer, Time.GetUtcNow());

    /// <summary>A client authenticated as <paramref name="path"/> of the test trust domain.</summary>
    public HttpClient As(string path)
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Svid(path));
        return client;
    }

    /// <summary>A client presenting <paramref name="bearer"/> verbatim.</summary>
    public HttpClient WithBearer(string bearer)
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", "Bearer " + bearer);
        return client;
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing)
        {
            Trust.Dispose();
        }
    }
}
