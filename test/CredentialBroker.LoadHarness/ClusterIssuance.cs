using System.Net.Http.Headers;
using CredentialBroker.Testing;

namespace CredentialBroker.LoadHarness;

/// <summary>
/// Task issuance on a real Redis Cluster (three primaries, three replicas on loopback) through one broker process and
/// through three on the same cluster, clients spread round-robin over them, with <c>WaitForReplicas</c> 0 and 1.
/// <c>dotnet run -c Release --project test/CredentialBroker.LoadHarness -- cluster [--smoke]</c>
/// </summary>
internal static class ClusterIssuance
{
    private const int Concurrency = 32;

    public static async Task<List<string>> RunAsync(bool smoke)
    {
        var requests = smoke ? 200 : 20_000;
        var rows = new List<string>();
        await using var cluster = await RedisCluster.StartAsync();
        using var trust = new TestTrustDomain("load.example");
        foreach (var waitForReplicas in new[] { 0, 1 })
        {
            foreach (var replicas in new[] { 1, 3 })
            {
                var issuer = $"http://127.0.0.1:{BrokerProcess.FreePort()}";
                var urls = new List<string> { issuer };
                urls.AddRange(Enumerable.Range(1, replicas - 1).Select(_ => $"http://127.0.0.1:{BrokerProcess.FreePort()}"));
                var settings = BrokerUnderTest.Settings(cluster.ConnectionString, issuer, trust);
                settings["CredentialBroker__Redis__KeyPrefix"] = "load" + Guid.NewGuid().ToString("N")[..8];
                settings["CredentialBroker__Redis__WaitForReplicas"] = waitForReplicas.ToString(System.Globalization.CultureInfo.InvariantCulture);
                var brokers = new List<BrokerProcess>();
                var clients = new List<HttpClient>();
                try
                {
                    foreach (var url in urls)
                    {
                        brokers.Add((await BrokerUnderTest.StartProcessAsync(settings, url)).Broker);
                        var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 256 }) { BaseAddress = new Uri(url) };
                        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue(
                            "Bearer", trust.Minter.Mint("/orchestrator", issuer, TimeProvider.System.GetUtcNow(), TimeSpan.FromHours(1)));
                        clients.Add(client);
                    }

                    await Scenarios.MeasureAsync(requests / 10, Concurrency, async i => await Scenarios.CreateTaskAsync(clients[i % clients.Count])); // warm-up
                    var issuance = await Scenarios.MeasureAsync(requests, Concurrency, async i => await Scenarios.CreateTaskAsync(clients[i % clients.Count]));
                    rows.Add($"| task-token issuance on a Redis Cluster (3 primaries + 3 replicas), {replicas} broker {(replicas == 1 ? "replica" : "replicas")}, WaitForReplicas {waitForReplicas} ({requests:N0} requests, {Concurrency} in flight) | {issuance.Describe()} |");
                }
                finally
                {
                    clients.ForEach(c => c.Dispose());
                    foreach (var broker in brokers)
                    {
                        await broker.DisposeAsync();
                    }
                }
            }
        }

        return rows;
    }
}
