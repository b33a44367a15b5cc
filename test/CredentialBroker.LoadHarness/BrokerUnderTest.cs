using System.Net.Http.Headers;
using CredentialBroker.Testing;

namespace CredentialBroker.LoadHarness;

/// <summary>A real redis-server and the real broker binary in production mode, wired together on loopback.</summary>
internal sealed class BrokerUnderTest : IAsyncDisposable
{
    private readonly BrokerProcess _broker;

    private BrokerUnderTest(RedisServer redis, TestTrustDomain trust, BrokerProcess broker, string url)
    {
        Redis = redis;
        Trust = trust;
        _broker = broker;
        Url = url;
    }

    public RedisServer Redis { get; }

    public TestTrustDomain Trust { get; }

    public string Url { get; }

    public static async Task<BrokerUnderTest> StartAsync()
    {
        var redis = await RedisServer.StartPrivateAsync();
        var trust = new TestTrustDomain("load.example");
        var url = $"http://127.0.0.1:{BrokerProcess.FreePort()}";
        var environment = new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["Logging__LogLevel__Default"] = "Warning",
            ["Logging__LogLevel__Microsoft.Hosting.Lifetime"] = "Information", // "Now listening on" is the start signal
            ["ConnectionStrings__Redis"] = redis.ConnectionString,
            ["CredentialBroker__Issuer"] = url,
            ["CredentialBroker__SigningKeys__0__Path"] = KeyFiles.WriteEs256Pem(),
            ["CredentialBroker__TrustBundles__load.example"] = trust.BundlePath,
            ["CredentialBroker__Roles__Orchestrator__0"] = "spiffe://load.example/orchestrator",
            ["CredentialBroker__Roles__Agent__0"] = "spiffe://load.example/agents/",
            ["CredentialBroker__Roles__Soc__0"] = "spiffe://load.example/soc",
            ["CredentialBroker__Roles__ResourceServer__0"] = "spiffe://load.example/resource-server",
        };
        var broker = await BrokerProcess.StartListeningAsync(environment, "--urls", url);
        return new BrokerUnderTest(redis, trust, broker, url);
    }

    /// <summary>An HTTP client authenticated as <paramref name="path"/> of the load trust domain.</summary>
    public HttpClient ClientAs(string path)
    {
        var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 256 }) { BaseAddress = new Uri(Url) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue(
            "Bearer", Trust.Minter.Mint(path, Url, TimeProvider.System.GetUtcNow(), TimeSpan.FromHours(1)));
        return client;
    }

    public async ValueTask DisposeAsync()
    {
        await _broker.DisposeAsync();
        await Redis.DisposeAsync();
        Trust.Dispose();
    }
}
