// An orchestrator, end to end, against a broker in development mode:
//   dotnet run --project samples/Orchestrator -- [broker URL] [dev credentials file]
// It creates a task for the dev agent, introspects the task token (active), completes the task and
// introspects again (inactive). It exits non-zero if the broker does not behave so.
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

var broker = args.Length > 0 ? args[0] : "http://127.0.0.1:8080";
var credentialsFile = args.Length > 1 ? args[1] : Path.Combine(Path.GetTempPath(), "credentialbroker", "dev-credentials.json");

var credentials = JsonNode.Parse(await File.ReadAllTextAsync(credentialsFile))!;
using var http = new HttpClient { BaseAddress = new Uri(broker) };
http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", (string)credentials["orchestrator"]!);

var created = await http.PostAsJsonAsync("/v1/tasks", new
{
    agent = "spiffe://dev.local/agent",
    workflow = new { id = "wf-invoices", designer = "team-payments", version = "3" },
    authorization = new[] { new { tool = "sql.query", destination = "postgres://payments", actions = new[] { "read" }, dataClass = "confidential" } },
    ttlSeconds = 600,
});
var task = await Expect(created);
var taskId = (string)task["taskId"]!;
var token = (string)task["token"]!;
Console.WriteLine($"created {taskId}, task token jti {task["jti"]}, expires {task["expiresAt"]}");

var before = await IntrospectAsync(token);
Console.WriteLine($"introspection before completion: active={before}");

var completed = await Expect(await http.PostAsJsonAsync($"/v1/tasks/{taskId}/state", new { state = "completed", reason = "sample done" }));
Console.WriteLine($"task {completed["state"]}, {completed["revoked"]} credential(s) revoked");

var after = await IntrospectAsync(token);
Console.WriteLine($"introspection after completion: active={after}");
return before && !after ? 0 : 1;

async Task<bool> IntrospectAsync(string taskToken)
{
    var response = await http.PostAsync("/oauth2/introspect", new FormUrlEncodedContent([new("token", taskToken)]));
    return (bool)(await Expect(response))["active"]!;
}

static async Task<JsonNode> Expect(HttpResponseMessage response)
{
    var body = await response.Content.ReadAsStringAsync();
    return response.IsSuccessStatusCode
        ? JsonNode.Parse(body)!
        : throw new HttpRequestException($"{(int)response.StatusCode} {response.ReasonPhrase}: {body}");
}
