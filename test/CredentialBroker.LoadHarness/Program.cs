// The load harness: starts a real redis-server and the real broker (production mode), measures, prints a table.
//   dotnet run -c Release --project test/CredentialBroker.LoadHarness -- [--smoke] [--only NAME[,NAME…]]
// 'cluster' instead measures issuance on a real Redis Cluster through one and three broker processes (ClusterIssuance);
// 'faults' keeps a steady load on two broker processes while Redis is frozen and thawed and one replica is killed, and
// checks that nothing acknowledged was lost (LoadUnderFaults; exits 1 if something was, or on an unexpected answer).
// --smoke runs every scenario with a handful of iterations (seconds), for CI: it proves the harness works,
// and asserts nothing about speed. --only runs the named scenarios (issuance, exchange — with and without DPoP —,
// completion, rejection, audit, expiry, bulk, start, secrets-postgresql, secrets-redis, bulk-postgresql), to profile one at a
// time. Extra broker settings can be passed as environment variables, e.g. CredentialBroker__Revoker__Concurrency=32.
// The downstream-secret scenarios start their own PostgreSQL cluster and a second redis-server; --pg-pool N sets the
// Maximum Pool Size of the broker's PostgreSQL admin connection string (default 100, Npgsql's; 0 turns pooling off) and
// --bulk-per-task N how many of bulk-postgresql's secrets each task holds (default 10). --baseline PATH gives 'audit' the
// CredentialBroker.Server.dll of a build without the boundary log, to measure the log's cost against in the same run.
// --write-rate N gives expiry's credentials room to be written at N/s before they expire together (default 4,000; lower it
// on a loaded machine: it changes the wait before the expiry, not the lag measured from it).
using System.Diagnostics;
using System.Globalization;
using CredentialBroker.LoadHarness;
using CredentialBroker.Testing;

if (args is ["bare-endpoint", var listenOn])
{
    await BareEndpoint.RunAsync(listenOn);
    return 0;
}

var smoke = args.Contains("--smoke");
if (args.Contains("cluster"))
{
    Console.WriteLine($"CredentialBroker load harness, Redis Cluster issuance ({(smoke ? "smoke" : "full")} run), {Environment.ProcessorCount} cores, .NET {Environment.Version}");
    var clusterRows = await ClusterIssuance.RunAsync(smoke);
    Console.WriteLine();
    Console.WriteLine("| measurement | result |");
    Console.WriteLine("|---|---|");
    clusterRows.ForEach(Console.WriteLine);
    return 0;
}

if (args.Contains("faults"))
{
    Console.WriteLine($"CredentialBroker load harness, load under faults ({(smoke ? "smoke" : "full")} run), {Environment.ProcessorCount} cores, .NET {Environment.Version}");
    var (faultRows, faultFailures) = await LoadUnderFaults.RunAsync(smoke);
    Console.WriteLine();
    Console.WriteLine("| measurement | result |");
    Console.WriteLine("|---|---|");
    faultRows.ForEach(Console.WriteLine);
    faultFailures.ForEach(f => Console.Error.WriteLine("FAILED: " + f));
    return faultFailures.Count == 0 ? 0 : 1;
}

var only = args.SkipWhile(a => a != "--only").Skip(1).FirstOrDefault()?.Split(',').ToHashSet(StringComparer.Ordinal);
bool Runs(string scenario) => only is null || only.Contains(scenario);
int Option(string name, int otherwise) =>
    args.SkipWhile(a => a != name).Skip(1).FirstOrDefault() is { } value ? int.Parse(value, CultureInfo.InvariantCulture) : otherwise;
const int Concurrency = 32;

Console.WriteLine($"CredentialBroker load harness ({(smoke ? "smoke" : "full")} run), {Environment.ProcessorCount} cores, .NET {Environment.Version}");

// Downstream backends first: the broker's provider settings point at them.
var startingBackends = Stopwatch.GetTimestamp();
await using var postgres = Runs("secrets-postgresql") || Runs("bulk-postgresql") ? await PostgreSqlBackendUnderTest.StartAsync(Option("--pg-pool", 100)) : null;
await using var redisAcl = Runs("secrets-redis") ? await RedisAclBackendUnderTest.StartAsync() : null;
SecretBackendUnderTest[] backends = [.. new SecretBackendUnderTest?[] { postgres, redisAcl }.OfType<SecretBackendUnderTest>()];
backends.ToList().ForEach(b => Console.WriteLine($"downstream provider {b.Provider} ({b.Kind}, {b.Resource}): {b}"));
if (backends.Length > 0)
{
    Console.WriteLine($"downstream backends set up in {Stopwatch.GetElapsedTime(startingBackends).TotalMilliseconds:N0} ms");
}

await using var broker = await BrokerUnderTest.StartAsync(backends.SelectMany(b => b.Environment));
Console.WriteLine($"broker {broker.Url}, redis {broker.Redis.ConnectionString}; first start to ready {broker.StartToReady.TotalMilliseconds:0} ms");
await using var resourceServer = await ResourceServerUnderTest.StartAsync(broker, Scenarios.Resource);
var rows = new List<string>();

// Start-up is measured first on an empty store, and again at the end with many live credentials.
var emptyStart = Runs("start") ? await broker.MeasureReplicaStartAsync() : TimeSpan.Zero;
var failures = new List<string>();

// Downstream secrets before the access-token scenarios: postgres://payments is also their audience, and the bulk
// revocation selects by resource, so it must find the secrets only.
foreach (var backend in backends.Where(b => Runs("secrets-" + b.Kind)))
{
    var kind = backend is PostgreSqlBackendUnderTest ? "PostgreSQL role" : "Redis ACL user";
    await SecretScenarios.IssueLatencyAsync(broker, backend, smoke ? 2 : 100); // warm-up: JIT, pools, the backend's caches
    var issue = await SecretScenarios.IssueLatencyAsync(broker, backend, smoke ? 10 : 1000);
    rows.Add($"| downstream secret issue, {kind} ({backend.Resource}): token exchange → secret, POST to 200 ({issue.Count:N0} exchanges, sequential) | {issue.Describe()} |");

    await SecretScenarios.CompletionToVerifiedAsync(broker, backend, smoke ? 1 : 50, sampleEvery: 10);
    var sampleEvery = smoke ? 3 : 100;
    var completion = await SecretScenarios.CompletionToVerifiedAsync(broker, backend, smoke ? 6 : 1000, sampleEvery);
    rows.Add($"| task completion → {kind} verified dead, as `GET /v1/tasks/{{id}}` shows `downstream.verifiedAt` ({completion.Seen.Count:N0} tasks of one secret, sequential) | {completion.Seen.Describe()} |");
    rows.Add($"| … the broker's own record: completion (`revokedAt`) → dropped downstream (`downstream.revokedAt`) | {completion.Dropped.Describe()} |");
    rows.Add($"| … the broker's own record: completion (`revokedAt`) → verified dead (`downstream.verifiedAt`) | {completion.Verified.Describe()} |");
    rows.Add($"| … one secret in {sampleEvery}: logged in before the completion / refused a login after verification | {completion.WorkedBefore} / {completion.RefusedAfter} of {completion.Sampled} |");
    if (completion.WorkedBefore != completion.Sampled || completion.RefusedAfter != completion.Sampled)
    {
        failures.Add($"{backend.Kind}: of {completion.Sampled} sampled secrets {completion.WorkedBefore} logged in before the completion and {completion.RefusedAfter} were refused after verification.");
    }
}

if (Runs("bulk-postgresql") && postgres is not null)
{
    var secrets = smoke ? 20 : 10_000;
    var perTask = Math.Min(Option("--bulk-per-task", smoke ? 2 : 10), secrets);
    Console.WriteLine($"issuing {secrets:N0} live PostgreSQL roles ({perTask} per task, {Concurrency} in flight), then revoking them in bulk …");
    var bulk = await SecretScenarios.BulkRevocationAsync(broker, postgres, secrets, perTask, sample: smoke ? 5 : 200, Concurrency);
    var progress = bulk.Progress;
    rows.Add($"| (setup) {bulk.Secrets:N0} secrets issued for the bulk revocation, {Concurrency} in flight, {bulk.Tasks:N0} tasks of {perTask} | {bulk.IssuedPerSecond:N0}/s |");
    rows.Add($"| **bulk revocation of {bulk.Secrets:N0} live PostgreSQL roles**, `POST /v1/revocations {{\"selector\": {{\"resource\": \"{postgres.Resource}\"}}}}` → 202 | {bulk.Accepted:N0} ms |");
    rows.Add($"| … every one of {bulk.Sampled} randomly sampled secrets refused a login (tried 4 at a time while the revocation runs) | {bulk.SampleRefused:N0} ms after the POST |");
    rows.Add($"| … status `{(string)progress["status"]!}`: every role dropped and verified dead (matched {(int)progress["matched"]!["total"]!:N0}, downstreamRevoked {(int)progress["downstreamRevoked"]!:N0}, verified {(int)progress["verified"]!:N0}) | {bulk.CompletedSeen:N0} ms after the POST (broker: `completedAt` − `requestedAt` {bulk.CompletedRecorded:N0} ms) |");
    rows.Add($"| … generated `cb_` roles in `pg_roles` before → after; of the bulk's {bulk.Secrets:N0}, left after | {bulk.RolesBefore:N0} → {bulk.RolesAfter:N0}; {bulk.BulkRolesLeft:N0} |");
    rows.Add($"| … sampled secrets: logged in before the POST / refused after completion | {bulk.SampleWorkedBefore} / {bulk.SampleRefusedAfter} of {bulk.Sampled} |");
    if ((string)progress["status"]! != "completed" || bulk.BulkRolesLeft != 0 || bulk.SampleWorkedBefore != bulk.Sampled || bulk.SampleRefusedAfter != bulk.Sampled)
    {
        failures.Add($"bulk-postgresql: status {(string)progress["status"]!}, {bulk.BulkRolesLeft} roles left, {bulk.SampleWorkedBefore}/{bulk.SampleRefusedAfter} of {bulk.Sampled} sampled secrets worked before / were refused after.");
    }
}

if (Runs("issuance") || Runs("exchange"))
{
    using var orchestrator = broker.ClientAs("/orchestrator");
    using var agent = broker.ClientAs("/agents/bot");
    var requests = smoke ? 200 : 20_000;
    var (_, sample) = await Scenarios.CreateTaskAsync(orchestrator);
    var rawSigning = Scenarios.RawSigningPerSecond(sample, smoke ? 2_000 : 100_000);
    rows.Add($"| floor: raw ES256 signing of a task token's claims (JsonWebTokenHandler, {Environment.ProcessorCount} threads, in process) | {rawSigning:N0}/s |");

    var bareUrl = $"http://127.0.0.1:{BrokerProcess.FreePort()}";
    await using (var bareEndpoint = await BrokerUnderTest.StartBareEndpointAsync(bareUrl))
    {
        using var bareClient = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 256 }) { BaseAddress = new Uri(bareUrl) };
        await Scenarios.MeasureAsync(requests / 10, Concurrency, async _ => await Scenarios.CreateTaskAsync(bareClient)); // warm-up
        var bareCpu = CpuMeter.Start(bareEndpoint.ProcessId);
        var bare = await Scenarios.MeasureAsync(requests, Concurrency, async _ => await Scenarios.CreateTaskAsync(bareClient));
        var bareCpuPerRequest = bareCpu.MicrosecondsPer(requests);
        rows.Add($"| comparator: bare endpoint, parse the task request + sign one JWT ({requests:N0} requests, {Concurrency} in flight) | {bare.Describe()}; server CPU {bareCpuPerRequest:N0} µs per request |");

        // Server CPU: the broker's and its redis-server's, per request, against the bare endpoint's.
        string Cpu((CpuMeter Broker, CpuMeter Redis) meter)
        {
            var (brokerCpu, redisCpu) = (meter.Broker.MicrosecondsPer(requests), meter.Redis.MicrosecondsPer(requests));
            return $"server CPU {brokerCpu + redisCpu:N0} µs per request (broker {brokerCpu:N0}, Redis {redisCpu:N0}), {(brokerCpu + redisCpu) / bareCpuPerRequest:0.00}× the bare endpoint's";
        }

        if (Runs("issuance"))
        {
            await Scenarios.IssuanceAsync(orchestrator, requests / 10, Concurrency);
            var cpu = (CpuMeter.Start(broker.ProcessId), CpuMeter.Start(broker.Redis.ProcessId));
            var issuance = await Scenarios.IssuanceAsync(orchestrator, requests, Concurrency);
            rows.Add($"| task-token issuance, POST /v1/tasks ({requests:N0} requests, {Concurrency} in flight) | {issuance.Describe()}; {issuance.PerSecond / bare.PerSecond:0.00}× the bare endpoint, {issuance.PerSecond / rawSigning:0.00}× raw signing; {Cpu(cpu)} |");
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
            var cpu = (CpuMeter.Start(broker.ProcessId), CpuMeter.Start(broker.Redis.ProcessId));
            var exchanges = await Scenarios.ExchangeThroughputAsync(agent, taskTokens, requests, Concurrency);
            rows.Add($"| token exchange, POST /oauth2/token ({requests:N0} requests, {Concurrency} in flight) | {exchanges.Describe()}; {exchanges.PerSecond / bare.PerSecond:0.00}× the bare endpoint, {exchanges.PerSecond / rawSigning:0.00}× raw signing; {Cpu(cpu)} |");
            using var dpopKey = new DpopKey();
            await Scenarios.DpopExchangeThroughputAsync(broker, agent, dpopKey, taskTokens, requests / 10, Concurrency);
            var dpopExchanges = await Scenarios.DpopExchangeThroughputAsync(broker, agent, dpopKey, taskTokens, requests, Concurrency);
            rows.Add($"| token exchange with a DPoP proof → DPoP-bound access token ({requests:N0} requests, {Concurrency} in flight) | {dpopExchanges.Describe()}; {dpopExchanges.PerSecond / exchanges.PerSecond:0.00}× the exchange without DPoP |");
        }
    }
}

if (Runs("audit"))
{
    // The boundary log's cost per issued task: this build against --baseline, the CredentialBroker.Server.dll of a build
    // without the log, each on its own redis-server, rounds alternated so both see the same machine.
    var tasks = smoke ? 200 : 20_000;
    var rounds = smoke ? 1 : 3;
    var baselinePath = args.SkipWhile(a => a != "--baseline").Skip(1).FirstOrDefault();
    await using var baseline = baselinePath is null ? null : await BrokerUnderTest.StartAsync([], Path.GetFullPath(baselinePath));
    var withLog = new List<Scenarios.Weighed>();
    var withoutLog = new List<Scenarios.Weighed>();
    for (var round = 0; round <= rounds; round++)
    {
        // Round 0 warms both up (JIT, pools, script cache) and is not counted.
        var measured = await Scenarios.IssueAndWeighAsync(broker, round == 0 ? tasks / 10 : tasks, Concurrency);
        var measuredBaseline = baseline is null ? null : await Scenarios.IssueAndWeighAsync(baseline, round == 0 ? tasks / 10 : tasks, Concurrency);
        if (round > 0)
        {
            withLog.Add(measured);
            if (measuredBaseline is not null)
            {
                withoutLog.Add(measuredBaseline);
            }
        }
    }

    var median = withLog.OrderBy(w => w.Issuance.PerSecond).ElementAt(withLog.Count / 2);
    rows.Add($"| task issuance, this build, POST /v1/tasks ({tasks:N0} requests × {rounds}, {Concurrency} in flight; median round) | {median.Issuance.Describe()}; server CPU {withLog.Average(w => w.CpuPerTask):N0} µs per task (broker + Redis, mean of the rounds) |");
    rows.Add($"| … Redis memory per task, this build (over {tasks * rounds:N0}) | {withLog.Average(w => w.UsedPerTask):N0} bytes, of which the log (its task.created event in the chain and the task's event index) {withLog.Average(w => w.LogPerTask):N0} bytes |");
    if (withoutLog.Count > 0)
    {
        var medianBaseline = withoutLog.OrderBy(w => w.Issuance.PerSecond).ElementAt(withoutLog.Count / 2);
        rows.Add($"| … the same with the --baseline build ({baselinePath}, same run, rounds alternated) | {medianBaseline.Issuance.Describe()}; server CPU {withoutLog.Average(w => w.CpuPerTask):N0} µs per task; this build {median.Issuance.PerSecond / medianBaseline.Issuance.PerSecond:0.00}× the throughput and {withLog.Average(w => w.CpuPerTask) / withoutLog.Average(w => w.CpuPerTask):0.00}× the CPU of the baseline |");
        rows.Add($"| … Redis memory per task, the --baseline build | {withoutLog.Average(w => w.UsedPerTask):N0} bytes; this build {withLog.Average(w => w.UsedPerTask) / withoutLog.Average(w => w.UsedPerTask):0.00}× |");
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
        var expiry = await Scenarios.TtlExpiryAsync(broker, resourceServer, expiring, Option("--write-rate", 4_000));
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
failures.ForEach(f => Console.Error.WriteLine("FAILED: " + f));
return failures.Count == 0 ? 0 : 1;
