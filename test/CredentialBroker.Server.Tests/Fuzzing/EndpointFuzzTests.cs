using System.Net;
using System.Net.Http.Headers;
using CsCheck;

namespace CredentialBroker.Server.Tests.Fuzzing;

/// <summary>
/// SECURITY-TESTS #39: random and mutated bodies and credentials for every endpoint that reads a body, sent to the broker
/// (development mode, in process). Each answer must be a 2xx or 4xx — never a 500, never a stack trace — and each
/// endpoint's valid twin, the body every mutation starts from, must succeed. CsCheck prints the seed of a failure, which
/// replays it (<c>seed:</c> argument of <c>Sample</c>).
/// </summary>
public sealed class EndpointFuzzTests
{
    private const int Iterations = 150;
    private static BrokerApp _app = null!;
    private static string _taskId = null!;
    private static string _token = null!;

    [OneTimeSetUp]
    public static async Task StartAsync()
    {
        _app = BrokerApp.Dev();
        (_taskId, _token, _) = await _app.As(BrokerApp.Orchestrator).CreateTaskOkAsync(_app.AgentId);
    }

    [OneTimeTearDown]
    public static async Task StopAsync() => await _app.DisposeAsync();

    private static async Task<bool> AnswersSafelyAsync(HttpClient client, HttpMethod method, string path, string body, string mediaType)
    {
        using var request = new HttpRequestMessage(method, path) { Content = new StringContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(mediaType);
        using var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        var safe = (int)response.StatusCode < 500 && !text.Contains("   at ", StringComparison.Ordinal) && !text.Contains("Exception", StringComparison.Ordinal);
        if (!safe)
        {
            TestContext.Out.WriteLine($"{method} {path} answered {(int)response.StatusCode} to {body}: {text}");
        }

        return safe;
    }

    private static string Form(params (string Name, string Value)[] parameters) =>
        string.Join('&', parameters.Select(p => Uri.EscapeDataString(p.Name) + "=" + Uri.EscapeDataString(p.Value)));

    private static async Task FuzzAsync(string path, string validTwin, string mediaType, string caller, HttpStatusCode twinStatus)
    {
        using var client = _app.As(caller);
        using var twin = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(validTwin) };
        twin.Content.Headers.ContentType = new MediaTypeHeaderValue(mediaType);
        Assert.That((await client.SendAsync(twin)).StatusCode, Is.EqualTo(twinStatus), "the valid twin");

        await Mutations.Around(validTwin).SampleAsync(body => AnswersSafelyAsync(client, HttpMethod.Post, path, body, mediaType), iter: Iterations, threads: 1);
    }

    [Test]
    public Task Task_creation_never_answers_500() =>
        FuzzAsync("/v1/tasks", Api.TaskBody(_app.AgentId), "application/json", BrokerApp.Orchestrator, HttpStatusCode.Created);

    [Test]
    public async Task Task_state_changes_never_answer_500()
    {
        // A task of its own: a mutation could end it, and the other tests exchange the shared task's token.
        var (taskId, _, _) = await _app.As(BrokerApp.Orchestrator).CreateTaskOkAsync(_app.AgentId);
        await FuzzAsync($"/v1/tasks/{taskId}/state", """{"state":"running","reason":"fuzz"}""", "application/json", BrokerApp.Orchestrator, HttpStatusCode.OK);
    }

    [Test]
    public Task The_token_exchange_never_answers_500() =>
        FuzzAsync("/oauth2/token", Form(("grant_type", Api.TokenExchange), ("subject_token", _token), ("subject_token_type", Api.JwtType), ("resource", "postgres://payments")),
            "application/x-www-form-urlencoded", BrokerApp.Agent, HttpStatusCode.OK);

    [Test]
    public Task Introspection_never_answers_500() =>
        FuzzAsync("/oauth2/introspect", Form(("token", _token)), "application/x-www-form-urlencoded", BrokerApp.ResourceServer, HttpStatusCode.OK);

    [Test]
    public Task Revocation_never_answers_500() =>
        FuzzAsync("/oauth2/revoke", Form(("token", "not-a-token")), "application/x-www-form-urlencoded", BrokerApp.Agent, HttpStatusCode.OK);

    [Test]
    public Task Bulk_revocation_never_answers_500() =>
        FuzzAsync("/v1/revocations", $$"""{"selector": {"workload": "{{_app.Trust.Id("/agents/nobody")}}"}, "reason": "fuzz", "dryRun": true}""",
            "application/json", BrokerApp.Soc, HttpStatusCode.OK);

    [Test]
    public Task Incident_declaration_never_answers_500() =>
        FuzzAsync("/v1/incidents", $$"""{"title": "fuzz", "severity": "low", "notifiedAt": "2026-11-28T09:00:00Z", "selector": {"workload": "{{_app.Trust.Id("/agents/nobody")}}" } }""",
            "application/json", BrokerApp.Soc, HttpStatusCode.Created);

    [Test]
    public async Task Security_events_never_answer_500()
    {
        using var client = _app.CreateClient();
        await Mutations.Around(_token).SampleAsync(body => AnswersSafelyAsync(client, HttpMethod.Post, "/v1/ssf/events", body, "application/secevent+jwt"), iter: Iterations, threads: 1);
    }

    [Test]
    public async Task Mutated_bearer_credentials_are_refused_never_500()
    {
        var svid = _app.Svid(BrokerApp.Orchestrator);
        using (var twin = _app.WithBearer(svid))
        {
            Assert.That((await twin.GetAsync($"/v1/tasks/{_taskId}")).StatusCode, Is.EqualTo(HttpStatusCode.OK), "the valid twin");
        }

        await Mutations.Around(svid).SampleAsync(async bearer =>
        {
            using var client = _app.CreateClient();
            if (!client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", "Bearer " + bearer))
            {
                return true; // not even a header value: HttpClient refuses to send it
            }

            using var response = await client.GetAsync($"/v1/tasks/{_taskId}");
            return (int)response.StatusCode < 500;
        }, iter: Iterations, threads: 1);
    }
}
