using System.Net.Http.Headers;
using CredentialBroker.Abstractions;
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
    private readonly bool _ownsTrust;
    private bool _keepShared;
    private readonly string _devCredentialsFile = Path.Combine(Scratch.CreateDirectory("cb-dev-").FullName, "dev-credentials.json");

    private BrokerApp(string? redis, BrokerApp? sibling = null)
    {
        _redis = redis;
        _ownsTrust = sibling is null;
        Time = sibling?.Time ?? new FakeTimeProvider(TimeProvider.System.GetUtcNowSeconds());
        Trust = sibling?.Trust ?? new TestTrustDomain("test.example");
        KeyPrefix = sibling?.KeyPrefix ?? "t" + Guid.NewGuid().ToString("N")[..12];
        SigningKeyPath = sibling?.SigningKeyPath ?? KeyFiles.WriteEs256Pem();
        foreach (var (key, value) in sibling?.Settings ?? [])
        {
            Settings[key] = value;
        }
    }

    public static BrokerApp Redis(string? connectionString = null) => new(connectionString ?? RedisFixture.Server.ConnectionString);

    public static BrokerApp Dev() => new(null);

    /// <summary>Another replica of the same broker: same Redis, key prefix, signing key, trust domain, settings and clock.</summary>
    public BrokerApp Replica() => new(_redis, this);

    public FakeTimeProvider Time { get; }

    public TestTrustDomain Trust { get; }

    public string KeyPrefix { get; }

    public string SigningKeyPath { get; }

    public string DevCredentialsFile => _devCredentialsFile;

    /// <summary>Settings applied after the defaults, to vary one thing per test.</summary>
    public Dictionary<string, string> Settings { get; } = new(StringComparer.Ordinal);

    /// <summary>Extra services for this host only (a failing downstream provider, say).</summary>
    public Action<IServiceCollection>? TestServices { get; set; }

    public string Issuer => _redis is null ? "http://127.0.0.1:8080" : TestIssuer;

    public FakeLogCollector Logs => Services.GetFakeLogCollector();

    public const string Orchestrator = "/orchestrators/billing";
    public const string OtherOrchestrator = "/orchestrators/other";
    public const string Agent = "/agents/invoice-bot";
    public const string OtherAgent = "/agents/other-bot";
    public const string Soc = "/soc";
    public const string Operator = "/operators/on-call";
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
        builder.UseSetting("CredentialBroker:Roles:Operator:0", "spiffe://test.example/operators/on-call");
        builder.UseSetting("CredentialBroker:Roles:ResourceServer:0", "spiffe://test.example/resource-servers/");
        builder.UseSetting("CredentialBroker:ResourceServers:payments:Id", Trust.Id(ResourceServer));
        builder.UseSetting("CredentialBroker:ResourceServers:payments:Resources:0", "postgres://payments");
        if (_redis is not null)
        {
            builder.UseSetting("ConnectionStrings:Redis", _redis);
            builder.UseSetting("CredentialBroker:Issuer", TestIssuer);
            builder.UseSetting("CredentialBroker:SigningKeys:0:Path", SigningKeyPath);
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

        // These tests check behaviour, so every caller, task and transmitter gets a budget no test exhausts by accident; the
        // rate limit tests set their own limits (Settings win).
        foreach (var limit in (string[])["Issuance", "Exchange", "TaskExchange", "Introspection", "Revocation", "Transmitter"])
        {
            builder.UseSetting($"CredentialBroker:RateLimits:{limit}:TokenLimit", "1000000");
            builder.UseSetting($"CredentialBroker:RateLimits:{limit}:TokensPerPeriod", "1000000");
        }

        foreach (var (key, value) in Settings)
        {
            builder.UseSetting(key, value);
        }

        builder.ConfigureTestServices(services =>
        {
            services.AddKeyedSingleton<TimeProvider>(BrokerTime.ServiceKey, Time); // the broker's clock only; schedules keep the wall clock
            services.AddFakeLogging();
            TestServices?.Invoke(services);
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

    /// <summary>Follows this broker's revocation feed as a resource server.</summary>
    public FeedReader FollowFeed(string? lastEventId = null) => FeedReader.Follow(As(ResourceServer), lastEventId);

    /// <summary>A client presenting <paramref name="bearer"/> verbatim.</summary>
    public HttpClient WithBearer(string bearer)
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", "Bearer " + bearer);
        return client;
    }

    /// <summary>Stops this host (its schedules end) but keeps what replicas share: the trust domain, the key, the clock.</summary>
    public void Stop()
    {
        _keepShared = true;
        try
        {
            Dispose();
        }
        finally
        {
            _keepShared = false;
        }
    }

    // WebApplicationFactory.Dispose re-enters this method through DisposeAsync.
    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing && _ownsTrust && !_keepShared)
        {
            Trust.Dispose();
        }
    }
}
