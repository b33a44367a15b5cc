using System.Diagnostics;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;

namespace CredentialBroker.LoadHarness;

/// <summary>The measured scenarios. Each drives the broker over HTTP exactly as clients do.</summary>
internal static class Scenarios
{
    public const string Agent = "spiffe://load.example/agents/bot";

    private static readonly string TaskBody = $$"""
        {"agent": "{{Agent}}", "workflow": {"id": "wf-load", "designer": "perf", "version": "1"},
         "authorization": [{"tool": "sql.query", "destination": "postgres://payments", "actions": ["read"], "dataClass": "confidential"}],
         "ttlSeconds": 900}
        """;

    public static async Task<(string TaskId, string Token)> CreateTaskAsync(HttpClient orchestrator)
    {
        using var response = await orchestrator.PostAsync("/v1/tasks", new StringContent(TaskBody, Encoding.UTF8, "application/json"));
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
        var form = new Dictionary<string, string>
        {
            ["grant_type"] = "urn:ietf:params:oauth:grant-type:token-exchange",
            ["subject_token"] = token,
            ["subject_token_type"] = "urn:ietf:params:oauth:token-type:jwt",
            ["resource"] = "postgres://payments",
        };
        var samples = new List<double>(exchanges);
        for (var i = 0; i < exchanges; i++)
        {
            var started = Stopwatch.GetTimestamp();
            using var response = await agent.PostAsync("/oauth2/token", new FormUrlEncodedContent(form));
            response.EnsureSuccessStatusCode();
            samples.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }

        return new Percentiles(samples);
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
            using (var completed = await orchestrator.PostAsync($"/v1/tasks/{taskId}/state", new StringContent("""{"state":"completed"}""", Encoding.UTF8, "application/json")))
            {
                completed.EnsureSuccessStatusCode();
            }

            while (await IsActiveAsync(resourceServer, token))
            {
                // Never taken in practice: the state change is atomic in Redis before the 200.
            }

            samples.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }

        return new Percentiles(samples);
    }
}
