// The load harness: starts a real redis-server and the real broker (production mode), measures, prints a table.
//   dotnet run -c Release --project test/CredentialBroker.LoadHarness -- [--smoke] [--only NAME[,NAME…]]
// --smoke runs every scenario with a handful of iterations (seconds), for CI: it proves the harness works,
// and asserts nothing about speed. --only runs the named scenarios (completion, exchange, rejection, expiry,
// start), to profile one at a time. Extra broker settings can be passed as environment variables, e.g.
// CredentialBroker__Revoker__Concurrency=32.
using CredentialBroker.LoadHarness;

var smoke = args.Contains("--smoke");
var only = args.SkipWhile(a => a != "--only").Skip(1).FirstOrDefault()?.Split(',').ToHashSet(StringComparer.Ordinal);
bool Runs(string scenario) => only is null || only.Contains(scenario);

Console.WriteLine($"CredentialBroker load harness ({(smoke ? "smoke" : "full")} run), {Environment.ProcessorCount} cores, .NET {Environment.Version}");
await using var broker = await BrokerUnderTest.StartAsync();
Console.WriteLine($"broker {broker.Url}, redis {broker.Redis.ConnectionString}; first start to ready {broker.StartToReady.TotalMilliseconds:0} ms");
await using var resourceServer = await ResourceServerUnderTest.StartAsync(broker, Scenarios.Resource);
var rows = new List<string>();

// Start-up is measured first on an empty store, and again at the end with many live credentials.
var emptyStart = Runs("start") ? await broker.MeasureReplicaStartAsync() : TimeSpan.Zero;

if (Runs("completion"))
{
    await Scenarios.CompletionToInactiveAsync(broker, smoke ? 5 : 100); // warm-up: JIT, pools, Redis script cache
    var completion = await Scenarios.CompletionToInactiveAsync(broker, smoke ? 20 : 1000);
    rows.Add($"| task completion → introspection inactive ({completion.Count} tasks, sequential) | {completion.Describe()} |");
}

if (Runs("exchange"))
{
    await Scenarios.ExchangeLatencyAsync(broker, smoke ? 5 : 200);
    var exchange = await Scenarios.ExchangeLatencyAsync(broker, smoke ? 20 : 2000);
    rows.Add($"| token exchange → access token ({exchange.Count} exchanges, sequential) | {exchange.Describe()} |");
}

if (Runs("rejection"))
{
    await Scenarios.CompletionToRejectionAsync(broker, resourceServer, smoke ? 5 : 100);
    var rejection = await Scenarios.CompletionToRejectionAsync(broker, resourceServer, smoke ? 20 : 1000);
    rows.Add($"| task completion → resource server refuses the access token via the feed ({rejection.Count} tasks, sequential) | {rejection.Describe()} |");
}

if (Runs("expiry"))
{
    var expiring = smoke ? 200 : 10_000;
    Console.WriteLine($"creating {expiring:N0} credentials that expire in one second …");
    var expiry = await Scenarios.TtlExpiryAsync(broker, resourceServer, expiring);
    rows.Add($"| TTL expiry → downstream revoked ({expiry.Credentials:N0} credentials, {expiry.InTargetSecond:N0} in the same second) | {expiry.Downstream.Describe()} |");
    rows.Add($"| TTL expiry → resource server deny list (same credentials) | {expiry.Applied.Describe()} |");
}

if (Runs("start"))
{
    var written = smoke ? 2_000 : 200_000;
    Console.WriteLine($"writing {written:N0} live credentials …");
    var memory = await Scenarios.PopulateAsync(broker, written);
    var live = await Scenarios.LiveCredentialsAsync(broker);
    var loadedStart = await broker.MeasureReplicaStartAsync();
    rows.Add($"| replica start → ready, 0 live credentials | {emptyStart.TotalMilliseconds:0} ms |");
    rows.Add($"| replica start → ready, {live:N0} live credentials | {loadedStart.TotalMilliseconds:0} ms |");
    rows.Add($"| Redis memory per live task (task record + task token + expiry index) | {memory / (double)written:0} bytes |");
}

Console.WriteLine();
Console.WriteLine("| measurement | result |");
Console.WriteLine("|---|---|");
rows.ForEach(Console.WriteLine);
return 0;
