using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using CredentialBroker.Abstractions;
using CredentialBroker.Abstractions.Storage;
using CredentialBroker.Abstractions.Tasks;
using CredentialBroker.Core;
using CredentialBroker.Core.Tasks;
using CredentialBroker.EmbeddedStore;
using CredentialBroker.Redis;
using CredentialBroker.Testing;
using Microsoft.Extensions.Options;

namespace CredentialBroker.LoadHarness;

/// <summary>The measured scenarios. Each drives the broker over HTTP exactly as clients do.</summary>
internal static class Scenarios
{
    public const string Agent = "spiffe://load.example/agents/bot";

    public const string Resource = "postgres://payments";

    private static string TaskBody(long ttlSeconds, string workflow, string destination) => $$"""
        {"agent": "{{Agent}}", "workflow": {"id": "{{workflow}}", "designer": "perf", "version": "1"},
         "authorization": [{"tool": "sql.query", "destination": "{{destination}}", "actions": ["read"], "dataClass": "confidential"}],
         "ttlSeconds": {{ttlSeconds}}}
        """;

    public static async Task<(string TaskId, string Token)> CreateTaskAsync(HttpClient orchestrator, long ttlSeconds = 900, string workflow = "wf-load", string destination = Resource)
    {
        using var response = await orchestrator.PostAsync("/v1/tasks", new StringContent(TaskBody(ttlSeconds, workflow, destination), Encoding.UTF8, "application/json"));
        response.EnsureSuccessStatusCode();
        var body = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        return ((string)body["taskId"]!, (string)body["token"]!);
    }

    public static async Task<bool> IsActiveAsync(HttpClient client, string token)
    {
        using var response = await client.PostAsync("/oauth2/introspect", new FormUrlEncodedContent([new("token", token)]));
        response.EnsureSuccessStatusCode();
        return (bool)(await response.Content.ReadFromJsonAsync<JsonObject>())!["active"]!;
    }

    /// <summary>
    /// Token exchange latency: one agent exchanges its task token for a downstream access token, one request
    /// at a time (each sample is one uncontended path: two signature checks, two Redis round trips, a policy
    /// decision, an atomic record, a signature).
    /// </summary>
    public static async Task<Percentiles> ExchangeLatencyAsync(BrokerUnderTest broker, int exchanges)
    {
        using var orchestrator = broker.ClientAs("/orchestrator");
        using var agent = broker.ClientAs("/agents/bot");
        var (_, token) = await CreateTaskAsync(orchestrator);
        var samples = new List<double>(exchanges);
        for (var i = 0; i < exchanges; i++)
        {
            var started = Stopwatch.GetTimestamp();
            await ExchangeAsync(agent, token);
            samples.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }

        return new Percentiles(samples);
    }

    /// <summary>
    /// Task-token issuance at a fixed concurrency: <paramref name="requests"/> <c>POST /v1/tasks</c>, at most
    /// <paramref name="concurrency"/> in flight, each authenticated with the orchestrator's SVID (validated every
    /// time), recorded in Redis and signed. Returns throughput (per second) and latencies.
    /// </summary>
    public static async Task<Throughput> IssuanceAsync(HttpClient orchestrator, int requests, int concurrency) =>
        await MeasureAsync(requests, concurrency, async _ => await CreateTaskAsync(orchestrator));

    /// <summary>Token exchange at a fixed concurrency, round-robin over <paramref name="taskTokens"/>.</summary>
    public static async Task<Throughput> ExchangeThroughputAsync(HttpClient agent, IReadOnlyList<string> taskTokens, int requests, int concurrency) =>
        await MeasureAsync(requests, concurrency, async i => await ExchangeAsync(agent, taskTokens[i % taskTokens.Count]));

    /// <summary>
    /// The floor the issue asks for: raw ES256 signing with <see cref="Microsoft.IdentityModel.JsonWebTokens.JsonWebTokenHandler"/>
    /// of a task token's claims, on every core, in this process. Returns signatures per second.
    /// </summary>
    public static double RawSigningPerSecond(string sampleTaskToken, int signatures)
    {
        var handler = new Microsoft.IdentityModel.JsonWebTokens.JsonWebTokenHandler();
        var key = CredentialBroker.Core.Tokens.SigningKey.Generate("floor");
        var payload = Encoding.UTF8.GetString(Microsoft.IdentityModel.Tokens.Base64UrlEncoder.DecodeBytes(sampleTaskToken.Split('.')[1]));
        Parallel.For(0, 1000, _ => handler.CreateToken(payload, key.Credentials)); // warm-up
        var started = Stopwatch.GetTimestamp();
        Parallel.For(0, signatures, _ => handler.CreateToken(payload, key.Credentials));
        return signatures / Stopwatch.GetElapsedTime(started).TotalSeconds;
    }

    /// <summary>Runs <paramref name="operation"/> <paramref name="requests"/> times, <paramref name="concurrency"/> at once.</summary>
    public static async Task<Throughput> MeasureAsync(int requests, int concurrency, Func<int, Task> operation)
    {
        var samples = new ConcurrentBag<double>();
        var next = -1;
        var started = Stopwatch.GetTimestamp();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < requests)
            {
                var one = Stopwatch.GetTimestamp();
                await operation(i);
                samples.Add(Stopwatch.GetElapsedTime(one).TotalMilliseconds);
            }
        }));
        return new Throughput(requests / Stopwatch.GetElapsedTime(started).TotalSeconds, new Percentiles(samples));
    }

    /// <summary>Requests per second and their latencies.</summary>
    public sealed record Throughput(double PerSecond, Percentiles Latency)
    {
        public string Describe() => $"{PerSecond:N0}/s; {Latency.Describe()}";
    }

    /// <summary>One round of issuance and what it cost Redis, per task.</summary>
    /// <param name="Issuance">The round's throughput and latency.</param>
    /// <param name="UsedPerTask"><c>used_memory</c> grown per task.</param>
    /// <param name="LogPerTask">The boundary log's keys grown per task (0 for a build without the log).</param>
    /// <param name="CpuPerTask">Server CPU (the broker's and its redis-server's) per task, in microseconds.</param>
    public sealed record Weighed(Throughput Issuance, double UsedPerTask, double LogPerTask, double CpuPerTask);

    /// <summary>Issues <paramref name="tasks"/> tasks over HTTP and weighs what they added to Redis.</summary>
    public static async Task<Weighed> IssueAndWeighAsync(BrokerUnderTest broker, int tasks, int concurrency)
    {
        using var orchestrator = broker.ClientAs("/orchestrator");
        await using var writer = await StoreWriter.OpenAsync(broker);
        var (usedBefore, logBefore) = (await writer.UsedMemoryAsync(), await writer.AuditMemoryAsync());
        var cpu = CpuMeter.Start(broker.ProcessId, broker.Redis.ProcessId);
        var issuance = await IssuanceAsync(orchestrator, tasks, concurrency);
        var cpuPerTask = cpu.MicrosecondsPer(tasks);
        var (used, log) = (await writer.UsedMemoryAsync() - usedBefore, await writer.AuditMemoryAsync() - logBefore);
        return new Weighed(issuance, used / (double)tasks, log / (double)tasks, cpuPerTask);
    }

    public static async Task<string> ExchangeAsync(HttpClient agent, string taskToken)
    {
        using var response = await agent.PostAsync("/oauth2/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "urn:ietf:params:oauth:grant-type:token-exchange",
            ["subject_token"] = taskToken,
            ["subject_token_type"] = "urn:ietf:params:oauth:token-type:jwt",
            ["resource"] = Resource,
        }));
        response.EnsureSuccessStatusCode();
        return (string)(await response.Content.ReadFromJsonAsync<JsonObject>())!["access_token"]!;
    }

    /// <summary>
    /// The same exchange with a fresh DPoP proof (RFC 9449) per request, made by one client key: the broker verifies the
    /// proof, records its jti in Redis and binds the access token to the key (<c>cnf.jkt</c>). Proofs are made inside the
    /// measured operation, as a client would.
    /// </summary>
    public static async Task<Throughput> DpopExchangeThroughputAsync(BrokerUnderTest broker, HttpClient agent, DpopKey key, IReadOnlyList<string> taskTokens, int requests, int concurrency) =>
        await MeasureAsync(requests, concurrency, async i =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/oauth2/token")
            {
                Content = new FormUrlEncodedContent(new Dictionary<string, string>
                {
                    ["grant_type"] = "urn:ietf:params:oauth:grant-type:token-exchange",
                    ["subject_token"] = taskTokens[i % taskTokens.Count],
                    ["subject_token_type"] = "urn:ietf:params:oauth:token-type:jwt",
                    ["resource"] = Resource,
                }),
            };
            request.Headers.TryAddWithoutValidation("DPoP", key.Proof("POST", broker.Url + "/oauth2/token", TimeProvider.System.GetUtcNow()));
            using var response = await agent.SendAsync(request);
            response.EnsureSuccessStatusCode();
        });

    /// <summary>
    /// Task completion → resource-server rejection via the feed: an access token is accepted by a resource server
    /// using the client library; the time from sending the completion to the resource server's deny list holding the
    /// access token (from then on it refuses it, which is checked). One task at a time.
    /// </summary>
    public static async Task<Percentiles> CompletionToRejectionAsync(BrokerUnderTest broker, ResourceServerUnderTest server, int tasks)
    {
        using var orchestrator = broker.ClientAs("/orchestrator");
        using var agent = broker.ClientAs("/agents/bot");
        var samples = new List<double>(tasks);
        for (var i = 0; i < tasks; i++)
        {
            var (taskId, taskToken) = await CreateTaskAsync(orchestrator);
            var accessToken = await ExchangeAsync(agent, taskToken);
            if (!await server.AcceptsAsync(accessToken, Agent))
            {
                throw new InvalidOperationException($"The resource server refused task {taskId}'s access token before completion.");
            }

            var revoked = server.RevokedAsync((string)JwtParts.Payload(accessToken)["jti"]!);
            var started = Stopwatch.GetTimestamp();
            await CompleteAsync(orchestrator, taskId);
            await revoked.WaitAsync(TimeSpan.FromSeconds(30));
            samples.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            if (await server.AcceptsAsync(accessToken, Agent))
            {
                throw new InvalidOperationException($"The resource server accepted task {taskId}'s access token after its revocation arrived.");
            }
        }

        return new Percentiles(samples);
    }

    /// <summary>
    /// TTL expiry → revoked: <paramref name="credentials"/> tasks whose task tokens all expire in the same second
    /// (written straight through the Redis store, so they are exactly simultaneous), then, per credential, the time
    /// from its <c>exp</c> to its downstream revocation (<c>downstream.revokedAt</c>, read back afterwards) and to
    /// the resource server applying it from the feed.
    /// </summary>
    public static async Task<TtlExpiryResult> TtlExpiryAsync(BrokerUnderTest broker, ResourceServerUnderTest server, int credentials, int writeRate = 4_000)
    {
        await using var writer = await StoreWriter.OpenAsync(broker);
        var expiry = TimeProvider.System.GetUtcNowSeconds().AddSeconds(3 + (credentials / writeRate)); // room to write ≥ writeRate/s
        var run = Guid.NewGuid().ToString("N")[..6];
        var written = await writer.WriteAsync(credentials, i => $"exp{run}_{i:D7}", expiry);
        if (TimeProvider.System.GetUtcNow() >= expiry)
        {
            throw new InvalidOperationException("Writing the credentials took past their expiry; they would not expire together.");
        }

        await Task.WhenAll(written.Select(c => server.RevokedAsync(c.Jti))).WaitAsync(expiry - TimeProvider.System.GetUtcNow() + TimeSpan.FromMinutes(5));
        var jtis = written.Select(c => c.Jti).ToHashSet(StringComparer.Ordinal);
        var applied = server.Applied.Where(a => jtis.Contains(a.Revocation.Jti)).Select(a => (a.AppliedAt - expiry).TotalMilliseconds);
        var downstream = await writer.DownstreamRevokedAtAsync(written);
        return new TtlExpiryResult(credentials, new Percentiles(downstream.Select(at => (at - expiry).TotalMilliseconds)), new Percentiles(applied));
    }

    /// <summary>The TTL-expiry measurement: lags from the common <c>exp</c>.</summary>
    public sealed record TtlExpiryResult(int Credentials, Percentiles Downstream, Percentiles Applied);

    /// <summary>
    /// Writes <paramref name="credentials"/> live tasks with their task tokens straight through the Redis store (the
    /// broker's own code and format, far faster than over HTTP); returns Redis's used memory growth in bytes.
    /// </summary>
    public static async Task<long> PopulateAsync(BrokerUnderTest broker, int credentials, string workflow)
    {
        await using var writer = await StoreWriter.OpenAsync(broker);
        var before = await writer.UsedMemoryAsync();
        var run = Guid.NewGuid().ToString("N")[..6];
        await writer.WriteAsync(credentials, i => $"live{run}_{i:D7}", TimeProvider.System.GetUtcNowSeconds().AddMinutes(15), workflow);
        return await writer.UsedMemoryAsync() - before;
    }

    /// <summary>What one bulk revocation took, from sending <c>POST /v1/revocations</c> (all in milliseconds).</summary>
    /// <param name="Matched">Credentials the broker matched.</param>
    /// <param name="Accepted">Until the 202: from then on the revocation is in force as a rule.</param>
    /// <param name="SampleInactive">Until every one of the sampled real tokens introspected inactive.</param>
    /// <param name="BrokerRevoked">Until the fan-out had marked every matched record revoked (the broker's clock).</param>
    /// <param name="Completed">Until every matched credential was revoked downstream and verified dead (the broker's clock).</param>
    public sealed record BulkResult(int Matched, double Accepted, double SampleInactive, double BrokerRevoked, double Completed);

    /// <summary>
    /// Bulk revocation by selector: <paramref name="credentials"/> live tasks of one workflow (written through the store
    /// unless <paramref name="populatedWorkflow"/> names a workflow already written) plus 200 real tasks issued over HTTP
    /// in it, then one <c>POST /v1/revocations</c> for the workflow, followed to completion.
    /// </summary>
    public static async Task<BulkResult> BulkRevocationAsync(BrokerUnderTest broker, int credentials, string? populatedWorkflow = null)
    {
        var workflow = populatedWorkflow ?? "wf-bulk-" + Guid.NewGuid().ToString("N")[..6];
        if (populatedWorkflow is null)
        {
            await using var writer = await StoreWriter.OpenAsync(broker);
            await writer.WriteAsync(credentials, i => $"{workflow}_{i:D7}", TimeProvider.System.GetUtcNowSeconds().AddMinutes(15), workflow);
        }

        using var orchestrator = broker.ClientAs("/orchestrator");
        using var soc = broker.ClientAs("/soc");
        var sample = new ConcurrentBag<string>();
        await Parallel.ForEachAsync(Enumerable.Range(0, 200), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (_, _) => sample.Add((await CreateTaskAsync(orchestrator, 900, workflow)).Token));

        var started = Stopwatch.GetTimestamp();
        using var response = await soc.PostAsync("/v1/revocations", new StringContent($$"""{"selector": {"workflowId": "{{workflow}}"}, "reason": "load harness bulk revocation"}""", Encoding.UTF8, "application/json"));
        var accepted = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        if (response.StatusCode != System.Net.HttpStatusCode.Accepted)
        {
            throw new InvalidOperationException($"POST /v1/revocations answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }

        var id = (string)(await response.Content.ReadFromJsonAsync<JsonObject>())!["id"]!;
        var remaining = sample.ToList();
        while (remaining.Count > 0)
        {
            var stillActive = new ConcurrentBag<string>();
            await Parallel.ForEachAsync(remaining, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (token, _) =>
            {
                if (await IsActiveAsync(soc, token))
                {
                    stillActive.Add(token);
                }
            });
            remaining = [.. stillActive];
        }

        var sampleInactive = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(30));
        JsonObject progress;
        while ((string)(progress = (await soc.GetFromJsonAsync<JsonObject>($"/v1/revocations/{id}", deadline.Token))!)["status"]! == "running")
        {
            await Task.Delay(TimeSpan.FromMilliseconds(100), deadline.Token);
        }

        var requestedAt = (DateTimeOffset)progress["requestedAt"]!;
        return new BulkResult(
            (int)progress["matched"]!["total"]!, accepted, sampleInactive,
            ((DateTimeOffset)progress["brokerRevokedAt"]! - requestedAt).TotalMilliseconds,
            ((DateTimeOffset)progress["completedAt"]! - requestedAt).TotalMilliseconds);
    }

    /// <summary>How many credentials are live (in the expiry index, not yet swept).</summary>
    public static async Task<long> LiveCredentialsAsync(BrokerUnderTest broker)
    {
        await using var writer = await StoreWriter.OpenAsync(broker);
        return await writer.LiveCredentialsAsync();
    }

    public static async Task CompleteAsync(HttpClient orchestrator, string taskId)
    {
        using var completed = await orchestrator.PostAsync($"/v1/tasks/{taskId}/state", new StringContent("""{"state":"completed"}""", Encoding.UTF8, "application/json"));
        completed.EnsureSuccessStatusCode();
    }

    /// <summary>
    /// Task completion → introspection inactive: for each task, the time from sending
    /// <c>POST /v1/tasks/{id}/state {"state":"completed"}</c> to the first introspection answering
    /// <c>active:false</c>. Tasks are completed one at a time, so each sample is one uncontended path.
    /// </summary>
    public static async Task<Percentiles> CompletionToInactiveAsync(BrokerUnderTest broker, int tasks)
    {
        using var orchestrator = broker.ClientAs("/orchestrator");
        using var soc = broker.ClientAs("/soc"); // task tokens introspect for the SOC (a resource server sees only access tokens for its resources)
        var samples = new List<double>(tasks);
        for (var i = 0; i < tasks; i++)
        {
            var (taskId, token) = await CreateTaskAsync(orchestrator);
            if (!await IsActiveAsync(soc, token))
            {
                throw new InvalidOperationException($"Task {taskId}'s token is inactive before completion.");
            }

            var started = Stopwatch.GetTimestamp();
            await CompleteAsync(orchestrator, taskId);

            while (await IsActiveAsync(soc, token))
            {
                // Never taken in practice: the state change is atomic in Redis before the 200.
            }

            samples.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }

        return new Percentiles(samples);
    }
}
