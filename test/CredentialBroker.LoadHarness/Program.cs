// The load harness: starts a real redis-server and the real broker (production mode), measures, prints a table.
//   dotnet run -c Release --project test/CredentialBroker.LoadHarness -- [--smoke]
// --smoke runs every scenario with a handful of iterations (seconds), for CI: it proves the harness works,
// and asserts nothing about speed.
using CredentialBroker.LoadHarness;

var smoke = args.Contains("--smoke");
var completionTasks = smoke ? 20 : 1000;
var exchanges = smoke ? 20 : 2000;

Console.WriteLine($"CredentialBroker load harness ({(smoke ? "smoke" : "full")} run), {Environment.ProcessorCount} cores, .NET {Environment.Version}");
await using var broker = await BrokerUnderTest.StartAsync();
Console.WriteLine($"broker {broker.Url}, redis {broker.Redis.ConnectionString}");

// Warm up JIT, connection pools and Redis script caches before measuring.
await Scenarios.CompletionToInactiveAsync(broker, smoke ? 5 : 100);
await Scenarios.ExchangeLatencyAsync(broker, smoke ? 5 : 200);

var completion = await Scenarios.CompletionToInactiveAsync(broker, completionTasks);
var exchange = await Scenarios.ExchangeLatencyAsync(broker, exchanges);

Console.WriteLine();
Console.WriteLine("| measurement | result |");
Console.WriteLine("|---|---|");
Console.WriteLine($"| task completion → introspection inactive ({completion.Count} tasks, sequential) | {completion.Describe()} |");
Console.WriteLine($"| token exchange → access token ({exchange.Count} exchanges, sequential) | {exchange.Describe()} |");
return 0;
