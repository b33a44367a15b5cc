// The load harness: starts a real redis-server and the real broker (production mode), measures, prints a table.
//   dotnet run -c Release --project test/CredentialBroker.LoadHarness -- [--smoke] [--only NAME[,NAME…]]
// --smoke runs every scenario with a handful of iterations (seconds), for CI: it proves the harness works,
// and asserts nothing about speed. --only runs the named scenarios (issuance, exchange — with and without DPoP —, completion, rejection,
// expiry, bulk, start), to profile one at a time. Extra broker settings can be passed as environment variables, e.g.
// CredentialBroker__Revoker__Concurrency=32.
using CredentialBroker.LoadHarness;
using CredentialBroker.Testing;

if (args is ["bare-endpoint", var listenOn])
{
    await BareEndpoint.RunAsync(listenOn);
    return 0;
}

var smoke = args.Contains("--smoke");
var only = args.SkipWhile(a => a != "--only").Skip(1).FirstOrDefault()?.Split(',').ToHashSet(StringComparer.Ordinal);
bool Runs(string scenario) => only is null || only.Contains(scenario);
const int Concurrency = 32;

Console.WriteLine($"CredentialBroker load harness ({(smoke ? "smoke" : "full")} run), {Environment.ProcessorCount} cores, .NET {Environment.Version}");
await using var broker = await BrokerUnderTest.StartAsync();
Console.WriteLine($"broker {broker.Url}, redis {broker.Redis.ConnectionString}; first start to ready {broker.StartToReady.TotalMilliseconds:0} ms");
await using var resourceServer = await ResourceServerUnderTest.StartAsync(broker, Scenarios.Resource);
var rows = new List<string>();

// Start-up is measured first on an empty store, and again at the end with many live credentials.
var emptyStart = Runs("start") ? await broker.MeasureReplicaStartAsync() : TimeSpan.Zero;

if (Runs("issuance") || Runs("exchange"))
{
    using var orchestrator = broker.ClientAs("/orchestrator");
    using var agent = broker.ClientAs("/agents/bot");
    var requests = smoke ? 200 : 20_000;
    var (_, sample) = await Scenarios.CreateTaskAsync(orchestrator);
    var rawSigning = Scenarios.RawSigningPerSecond(sample, smoke ? 2_000 : 100_000);
    rows.Add($"| floor: raw ES256 signing of a task token's claims (JsonWebTokenHandler, {Environment.ProcessorCount} threads, in process) | {rawSigning:N0}/s |");

    var bareUrl = $"http://127.0.0.1:{BrokerProcess.FreePort()}";
    await using (await BrokerUnderTest.StartBareEndpointAsync(bareUrl))
    {
        using var bareClient = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 256 }) { BaseAddress = new Uri(bareUrl) };
        await Scenarios.MeasureAsync(requests / 10, Concurrency, async _ => await Scenarios.CreateTaskAsync(bareClient)); // warm-up
        var bare = await Scenarios.MeasureAsync(requests, Concurrency, async _ => await Scenarios.CreateTaskAsync(bareClient));
        rows.Add($"| comparator: bare endpoint, parse the task request + sign one JWT ({requests:N0} requests, {Concurrency} in flight) | {bare.Describe()} |");

        if (Runs("issuance"))
        {
            await Scenarios.IssuanceAsync(orchestrator, requests / 10, Concurrency);
            var issuance = await Scenarios.IssuanceAsync(orchestrator, requests, Concurrency);
            rows.Add($"| task-token issuance, POST /v1/tasks ({requests:N0} requests, {Concurrency} in flight) | {issuance.Describe()}; {issuance.PerSecond / bare.PerSecond:0.00}× the bare endpoint, {issuance.PerSecond / rawSigning:0.00}× raw signing |");
        }

        if (Runs("exchange"))
        {
            var taskTokens = new List<string>();
            for (var i = 0; i < 100; i++)
            {
                taskTokens.Add((await Scenarios.CreateTaskAsync(orchestrator)).Token);
            }

            await Scenarios.ExchangeLatencyAsync(broker, smoke ? 5 : 200);
            var exchange = await Scenarios.ExchangeLatencyAsync(broker, smoke ? 20 : 2000);
            rows.Add($"| token exchange → access token ({exchange.Count} exchanges, sequential) | {exchange.Describe()} |");
            await Scenarios.ExchangeThroughputAsync(agent, taskTokens, requests / 10, Concurrency);
            var exchanges = await Scenarios.ExchangeThroughputAsync(agent, taskTokens, requests, Concurrency);
            rows.Add($"| token exchange, POST /oauth2/token ({requests:N0} requests, {Concurrency} in flight) | {exchanges.Describe()}; {exchanges.PerSecond / bare.PerSecond:0.00}× the bare endpoint, {exchanges.PerSecond / rawSigning:0.00}× raw signing |");
            using var dpopKey = new DpopKey();
            await Scenarios.DpopExchangeThroughputAsync(broker, agent, dpopKey, taskTokens, requests / 10, Concurrency);
            var dpopExchanges = await Scenarios.DpopExchangeThroughputAsync(broker, agent, dpopKey, taskTokens, requests, Concurrency);
            rows.Add($"| token exchange with a DPoP proof → DPoP-bound access token ({requests:N0} requests, {Concurrency} in flight) | {dpopExchanges.Describe()}; {dpopExchanges.PerSecond / exchanges.PerSecond:0.00}× the exchange without DPoP |");
        }
    }
}

if (Runs("completion"))
{
    await Scenarios.CompletionToInactiveAsync(broker, smoke ? 5 : 100); // warm-up: JIT, pools, Redis script cache
    var completion = await Scenarios.CompletionToInactiveAsync(broker, smoke ? 20 : 1000);
    rows.Add($"| task completion → introspection inactive ({completion.Count} tasks, sequential) | {completion.Describe()} |");
}

if (Runs("rejection"))
{
    await Scenarios.CompletionToRejectionAsync(broker, resourceServer, smoke ? 5 : 100);
    var rejection = await Scenarios.CompletionToRejectionAsync(broker, resourceServer, smoke ? 20 : 1000);
    rows.Add($"| task completion → resource server refuses the access token via the feed ({rejection.Count} tasks, sequential) | {rejection.Describe()} |");
}

if (Runs("expiry"))
{
    foreach (var expiring in smoke ? [200] : new[] { 10_000, 100_000 })
    {
        Console.WriteLine($"writing {expiring:N0} credentials that expire in one second …");
        var expiry = await Scenarios.TtlExpiryAsync(broker, resourceServer, expiring);
        rows.Add($"| TTL expiry → downstream revoked, {expiry.Credentials:N0} credentials expiring in the same second | {expiry.Downstream.Describe()} |");
        rows.Add($"| TTL expiry → resource server deny list, same {expiry.Credentials:N0} | {expiry.Applied.Describe()} |");
    }
}

if (Runs("bulk"))
{
    var bulk = smoke ? 2_000 : 100_000;
    Console.WriteLine($"writing {bulk:N0} live credentials of one workflow, then revoking them in bulk …");
    BulkRow(await Scenarios.BulkRevocationAsync(broker, bulk));
}

if (Runs("start"))
{
    var written = smoke ? 2_000 : 1_000_000;
    var workflow = "wf-live-" + Guid.NewGuid().ToString("N")[..6];
    Console.WriteLine($"writing {written:N0} live credentials …");
    var memory = await Scenarios.PopulateAsync(broker, written, workflow);
    var live = await Scenarios.LiveCredentialsAsync(broker);
    var loadedStart = await broker.MeasureReplicaStartAsync();
    rows.Add($"| replica start → ready, 0 live credentials | {emptyStart.TotalMilliseconds:N0} ms |");
    rows.Add($"| replica start → ready, {live:N0} live credentials | {loadedStart.TotalMilliseconds:N0} ms |");
    rows.Add($"| Redis memory per live task (task record + task token + expiry and SOC indexes; over {written:N0}) | {memory / (double)written:N0} bytes |");
    if (Runs("bulk"))
    {
        Console.WriteLine($"revoking those {written:N0} live credentials in bulk …");
        BulkRow(await Scenarios.BulkRevocationAsync(broker, written, workflow));
    }
}

void BulkRow(Scenarios.BulkResult bulk)
{
    rows.Add($"| bulk revocation of {bulk.Matched:N0} live credentials (one workflow; 200 of them real tokens sampled by introspection): POST → 202, rule in force | {bulk.Accepted:N0} ms |");
    rows.Add($"| … every sampled token introspects inactive | {bulk.SampleInactive:N0} ms after the POST |");
    rows.Add($"| … every matched record revoked at the broker (fan-out done) | {bulk.BrokerRevoked:N0} ms after the request |");
    rows.Add($"| … every one revoked downstream (feed) and verified dead (status completed) | {bulk.Completed:N0} ms after the request |");
}

Console.WriteLine();
Console.WriteLine("| measurement | result |");
Console.WriteLine("|---|---|");
rows.ForEach(Console.WriteLine);
return 0;
