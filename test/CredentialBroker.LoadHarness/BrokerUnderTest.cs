using System.Diagnostics;
using System.Net.Http.Headers;
using CredentialBroker.Testing;

namespace CredentialBroker.LoadHarness;

/// <summary>A real redis-server and the real broker binary in production mode, wired together on loopback.</summary>
internal sealed class BrokerUnderTest : IAsyncDisposable
{
    private readonly BrokerProcess _broker;
    private readonly Dictionary<string, string> _environment;
    private readonly string _assembly;

    private BrokerUnderTest(RedisServer redis, TestTrustDomain trust, BrokerProcess broker, string url, Dictionary<string, string> environment, TimeSpan startToReady, string assembly)
    {
        _assembly = assembly;
        Redis = redis;
        Trust = trust;
        _broker = broker;
        Url = url;
        _environment = environment;
        StartToReady = startToReady;
    }

    /// <summary>From starting the broker process to <c>/readyz</c> answering 200.</summary>
    public TimeSpan StartToReady { get; }

    public RedisServer Redis { get; }

    public TestTrustDomain Trust { get; }

    public string Url { get; }

    /// <summary>The broker process's id (to read its CPU time).</summary>
    public int ProcessId => _broker.ProcessId;

    /// <param name="settings">More settings for the broker, as environment variables (the downstream providers).</param>
    /// <param name="assembly">The broker to run: this build's <c>CredentialBroker.Server.dll</c>, or the path of another build's.</param>
    public static async Task<BrokerUnderTest> StartAsync(IEnumerable<KeyValuePair<string, string>> settings, string assembly = "CredentialBroker.Server.dll")
    {
        var redis = await RedisServer.StartPrivateAsync();
        var trust = new TestTrustDomain("load.example");
        var url = $"http://127.0.0.1:{BrokerProcess.FreePort()}";
        var environment = Settings(redis.ConnectionString, url, trust);
        foreach (var (name, value) in settings)
        {
            environment[name] = value;
        }

        var (broker, startToReady) = await StartProcessAsync(environment, url, assembly);
        return new BrokerUnderTest(redis, trust, broker, url, environment, startToReady, assembly);
    }

    /// <summary>The production-mode settings of a broker on <paramref name="redis"/> whose issuer is <paramref name="issuer"/>.</summary>
    public static Dictionary<string, string> Settings(string redis, string issuer, TestTrustDomain trust)
    {
        var environment = new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["Logging__LogLevel__Default"] = "Warning",
            ["Logging__LogLevel__Microsoft.Hosting.Lifetime"] = "Information", // "Now listening on" is the start signal
            ["ConnectionStrings__Redis"] = redis,
            ["CredentialBroker__Issuer"] = issuer,
            ["CredentialBroker__SigningKeys__0__Path"] = KeyFiles.WriteEs256Pem(),
            ["CredentialBroker__TrustBundles__load.example"] = trust.BundlePath,
            ["CredentialBroker__Roles__Orchestrator__0"] = "spiffe://load.example/orchestrator",
            ["CredentialBroker__Roles__Agent__0"] = "spiffe://load.example/agents/",
            ["CredentialBroker__Roles__Soc__0"] = "spiffe://load.example/soc",
            ["CredentialBroker__Roles__ResourceServer__0"] = "spiffe://load.example/resource-server",
            ["CredentialBroker__ResourceServers__load__Id"] = "spiffe://load.example/resource-server",
            ["CredentialBroker__ResourceServers__load__Resources__0"] = Scenarios.Resource,
            // Lets the TTL-expiry scenario aim many credentials at one second soon after creating them; validation only.
            ["CredentialBroker__MinTaskTtl"] = "00:00:01",
            // The sequential exchange-latency scenario derives 2,200 access tokens from one task token (default cap 1,000).
            ["CredentialBroker__MaxCredentialsPerTask"] = "10000",
        };

        // The harness measures what the broker can do, not its rate limits: one agent exchanging one task's token in a loop
        // would otherwise meet the per-task limit (a burst of 20) within milliseconds.
        foreach (var limit in (string[])["Issuance", "Exchange", "TaskExchange", "Introspection", "Revocation", "Transmitter"])
        {
            environment[$"CredentialBroker__RateLimits__{limit}__TokenLimit"] = "1000000";
            environment[$"CredentialBroker__RateLimits__{limit}__TokensPerPeriod"] = "1000000";
        }

        return environment;
    }

    /// <summary>Starts another broker process on the same Redis and configuration, measures its start-to-ready time, and stops it.</summary>
    public async Task<TimeSpan> MeasureReplicaStartAsync()
    {
        var url = $"http://127.0.0.1:{BrokerProcess.FreePort()}";
        var (replica, startToReady) = await StartProcessAsync(new Dictionary<string, string>(_environment) { ["CredentialBroker__Issuer"] = Url }, url, _assembly);
        await replica.DisposeAsync();
        return startToReady;
    }

    /// <summary>Starts the bare comparator endpoint (<see cref="BareEndpoint"/>) as its own process.</summary>
    public static async Task<BrokerProcess> StartBareEndpointAsync(string url) =>
        await BrokerProcess.StartAppListeningAsync("CredentialBroker.LoadHarness.dll", new Dictionary<string, string>(), "bare-endpoint", url);

    /// <summary>An SVID of the load trust domain for <paramref name="path"/>, addressed to the broker.</summary>
    public string Svid(string path) => Trust.Minter.Mint(path, Url, TimeProvider.System.GetUtcNow(), TimeSpan.FromHours(1));

    // Readiness is polled: the harness measures, it asserts nothing.
    internal static async Task<(BrokerProcess Broker, TimeSpan StartToReady)> StartProcessAsync(Dictionary<string, string> environment, string url, string assembly = "CredentialBroker.Server.dll")
    {
        var started = Stopwatch.GetTimestamp();
        var broker = await BrokerProcess.StartAppListeningAsync(assembly, environment, "--urls", url);
        using var probe = new HttpClient { BaseAddress = new Uri(url) };
        while (true)
        {
            using var ready = await probe.GetAsync("/readyz");
            if (ready.IsSuccessStatusCode)
            {
                return (broker, Stopwatch.GetElapsedTime(started));
            }
        }
    }

    /// <summary>An HTTP client authenticated as <paramref name="path"/> of the load trust domain.</summary>
    public HttpClient ClientAs(string path)
    {
        var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 256 }) { BaseAddress = new Uri(Url) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Svid(path));
        return client;
    }

    public async ValueTask DisposeAsync()
    {
        await _broker.DisposeAsync();
        await Redis.DisposeAsync();
        Trust.Dispose();
    }
}
