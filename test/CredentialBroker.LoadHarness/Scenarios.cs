using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using CredentialBroker.Core;
using CredentialBroker.Core.Storage;
using CredentialBroker.Core.Tasks;
using CredentialBroker.Redis;
using CredentialBroker.Testing;
using Microsoft.Extensions.Options;

namespace CredentialBroker.LoadHarness;

/// <summary>The measured scenarios. Each drives the broker over HTTP exactly as clients do.</summary>
internal static class Scenarios
{
    public const string Agent = "spiffe://load.example/agents/bot";

    public const string Resource = "postgres://payments";

    private static string TaskBody(long ttlSeconds) => $$"""
        {"agent": "{{Agent}}", "workflow": {"id": "wf-load", "designer": "perf", "version": "1"},
         "authorization": [{"tool": "sql.query", "destination": "{{Resource}}", "actions": ["read"], "dataClass": "confidential"}],
         "ttlSeconds": {{ttlSeconds}}}
        """;

    public static async Task<(string TaskId, string Token)> CreateTaskAsync(HttpClient orchestrator, long ttlSeconds = 900)
    {
        using var response = await orchestrator.PostAsync("/v1/tasks", new StringContent(TaskBody(ttlSeconds), Encoding.UTF8, "application/json"));
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
    /// TTL expiry → revoked: <paramref name="credentials"/> task tokens aimed at one expiry second (created by
    /// <paramref name="concurrency"/> parallel orchestrator calls), then, per credential, the time from its <c>exp</c>
    /// to its downstream revocation (<c>downstream.revokedAt</c> of the task, read back afterwards) and to the
    /// resource server applying it from the feed.
    /// </summary>
    public static async Task<TtlExpiryResult> TtlExpiryAsync(BrokerUnderTest broker, ResourceServerUnderTest server, int credentials, int concurrency = 16)
    {
        using var orchestrator = broker.ClientAs("/orchestrator");
        var target = TimeProvider.System.GetUtcNow().ToUnixTimeSeconds() + 3 + (credentials * 3 / 1000); // room for ~3 ms per creation
        var expiries = new ConcurrentDictionary<string, (string TaskId, long Exp)>(StringComparer.Ordinal);
        await Parallel.ForEachAsync(Enumerable.Range(0, credentials), new ParallelOptions { MaxDegreeOfParallelism = concurrency }, async (_, _) =>
        {
            var ttl = target - TimeProvider.System.GetUtcNow().ToUnixTimeSeconds();
            if (ttl < 1)
            {
                throw new InvalidOperationException("Creating the credentials took longer than planned; they would not expire together.");
            }

            var (taskId, token) = await CreateTaskAsync(orchestrator, ttl);
            var payload = JwtParts.Payload(token);
            expiries[(string)payload["jti"]!] = (taskId, (long)payload["exp"]!);
        });

        await Task.WhenAll(expiries.Keys.Select(server.RevokedAsync)).WaitAsync(TimeSpan.FromSeconds(target - TimeProvider.System.GetUtcNow().ToUnixTimeSeconds() + 120));
        var applied = server.Applied.Where(a => expiries.ContainsKey(a.Revocation.Jti)).ToList();
        var downstream = new ConcurrentBag<double>();
        await Parallel.ForEachAsync(expiries.Values, new ParallelOptions { MaxDegreeOfParallelism = concurrency }, async (credential, ct) =>
        {
            var task = (await orchestrator.GetFromJsonAsync<JsonObject>($"/v1/tasks/{credential.TaskId}", ct))!;
            var revokedAt = (DateTimeOffset)task["credentials"]![0]!["downstream"]!["revokedAt"]!;
            downstream.Add((revokedAt - DateTimeOffset.FromUnixTimeSeconds(credential.Exp)).TotalMilliseconds);
        });
        return new TtlExpiryResult(
            credentials,
            expiries.Values.Count(credential => credential.Exp == target),
            new Percentiles(downstream),
            new Percentiles(applied.Select(a => (a.AppliedAt - a.Revocation.ExpiresAt).TotalMilliseconds)));
    }

    /// <summary>The TTL-expiry measurement: how many shared the target second, and the lags from <c>exp</c>.</summary>
    public sealed record TtlExpiryResult(int Credentials, int InTargetSecond, Percentiles Downstream, Percentiles Applied);

    /// <summary>
    /// Writes <paramref name="credentials"/> live tasks with their task tokens straight through the Redis store (the
    /// broker's own code and format, far faster than over HTTP); returns Redis's used memory growth in bytes.
    /// </summary>
    public static async Task<long> PopulateAsync(BrokerUnderTest broker, int credentials, int concurrency = 64)
    {
        var options = new RedisStoreOptions { ConnectionString = broker.Redis.ConnectionString };
        await using var connection = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(options.ConnectionString + ",allowAdmin=true"); // INFO, for the memory figure
        var store = new RedisCredentialStore(connection, Options.Create(options), Options.Create(new CredentialBrokerOptions { Issuer = broker.Url }), TimeProvider.System);
        var before = await UsedMemoryAsync(connection);
        var now = TimeProvider.System.GetUtcNowSeconds();
        await Parallel.ForEachAsync(Enumerable.Range(0, credentials), new ParallelOptions { MaxDegreeOfParallelism = concurrency }, async (i, ct) =>
        {
            var taskId = $"tsk_load{i:D8}";
            var task = new TaskRecord(taskId, Agent, new WorkflowRef("wf-load", "perf", "1"), [new AuthorizationGrant("sql.query", Resource, ["read"], "confidential")],
                null, null, 0, [], "spiffe://load.example/orchestrator", now, now.AddMinutes(15), TaskState.Created, now, null);
            var token = new CredentialRecord($"jti_load{i:D8}", taskId, CredentialKind.Task, null, Agent, now, now.AddMinutes(15));
            await store.CreateTaskAsync(task, token, ct);
        });

        return await UsedMemoryAsync(connection) - before;
    }

    /// <summary>How many credentials are live (in the expiry index, not yet swept).</summary>
    public static async Task<long> LiveCredentialsAsync(BrokerUnderTest broker)
    {
        var options = new RedisStoreOptions { ConnectionString = broker.Redis.ConnectionString };
        await using var connection = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(options.ConnectionString);
        var keys = Enumerable.Range(0, options.ExpiryIndexShards).Select(shard => (StackExchange.Redis.RedisKey)$"{options.KeyPrefix}:{{exp:{shard}}}:due");
        var counts = await Task.WhenAll(keys.Select(key => connection.GetDatabase().SortedSetLengthAsync(key)));
        return counts.Sum();
    }

    private static async Task<long> UsedMemoryAsync(StackExchange.Redis.ConnectionMultiplexer connection)
    {
        var info = await connection.GetServers()[0].InfoAsync("memory");
        return long.Parse(info.SelectMany(g => g).Single(kv => kv.Key == "used_memory").Value, System.Globalization.CultureInfo.InvariantCulture);
    }

    private static async Task CompleteAsync(HttpClient orchestrator, string taskId)
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
        using var resourceServer = broker.ClientAs("/resource-server");
        var samples = new List<double>(tasks);
        for (var i = 0; i < tasks; i++)
        {
            var (taskId, token) = await CreateTaskAsync(orchestrator);
            if (!await IsActiveAsync(resourceServer, token))
            {
                throw new InvalidOperationException($"Task {taskId}'s token is inactive before completion.");
            }

            var started = Stopwatch.GetTimestamp();
            await CompleteAsync(orchestrator, taskId);

            while (await IsActiveAsync(resourceServer, token))
            {
                // Never taken in practice: the state change is atomic in Redis before the 200.
            }

            samples.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }

        return new Percentiles(samples);
    }
}
