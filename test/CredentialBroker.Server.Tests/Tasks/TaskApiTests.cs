using System.Net;
using CredentialBroker.Testing;

namespace CredentialBroker.Server.Tests.Tasks;

/// <summary>The orchestrator's endpoints against a real Redis.</summary>
public sealed class TaskApiTests : IDisposable
{
    private readonly BrokerApp _app = BrokerApp.Redis();

    public void Dispose() => _app.Dispose();

    [Test]
    public async Task Creating_a_task_returns_201_with_a_bound_task_token()
    {
        var response = await _app.As(BrokerApp.Orchestrator).CreateTaskAsync(Api.TaskBody(_app.AgentId));
        var body = await response.JsonAsync();
        var token = (string)body["token"]!;
        var claims = JwtParts.Payload(token);

        Assert.Multiple(() =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Created));
            Assert.That(response.Headers.Location!.ToString(), Is.EqualTo($"/v1/tasks/{body["taskId"]}"));
            Assert.That(response.Headers.CacheControl!.NoStore, Is.True);
            Assert.That((string?)body["taskId"], Does.StartWith("tsk_"));
            Assert.That((string?)body["state"], Is.EqualTo("created"));
            Assert.That((string?)body["jti"], Is.EqualTo((string?)claims["jti"]));
            Assert.That(DateTimeOffset.Parse((string)body["expiresAt"]!, System.Globalization.CultureInfo.InvariantCulture),
                Is.EqualTo(_app.Time.GetUtcNow().AddSeconds(600)));
            Assert.That((string)body["expiresAt"]!, Does.EndWith("Z"));
            Assert.That((string?)JwtParts.Header(token)["typ"], Is.EqualTo("task+jwt"));
            Assert.That((string?)claims["sub"], Is.EqualTo(_app.AgentId));
            Assert.That((string?)claims["cnf"]!["spiffe_id"], Is.EqualTo(_app.AgentId));
            Assert.That((string?)claims["iss"], Is.EqualTo(BrokerApp.TestIssuer));
        });
    }

    [TestCase(30)]
    [TestCase(900)]
    public async Task Ttls_at_the_configured_bounds_are_accepted(int ttl) =>
        Assert.That((await _app.As(BrokerApp.Orchestrator).CreateTaskAsync(Api.TaskBody(_app.AgentId, ttl))).StatusCode, Is.EqualTo(HttpStatusCode.Created));

    [TestCase(29)]
    [TestCase(901)]
    [TestCase(0)]
    [TestCase(-5)]
    public async Task Ttls_out_of_bounds_are_400_problem_details(int ttl)
    {
        var response = await _app.As(BrokerApp.Orchestrator).CreateTaskAsync(Api.TaskBody(_app.AgentId, ttl));
        var problem = await response.JsonAsync();

        Assert.Multiple(() =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(response.Content.Headers.ContentType!.MediaType, Is.EqualTo("application/problem+json"));
            Assert.That((string?)problem["errors"]!["ttlSeconds"]![0], Does.Contain("between 30 and 900"));
        });
    }

    [Test]
    public async Task Every_invalid_field_is_reported_at_once()
    {
        const string body = """
            {"agent": "spiffe://Test.example/agents/x", "workflow": {"id": ""},
             "authorization": [{"tool": "", "destination": "not a uri", "actions": []}],
             "ttlSeconds": 5, "origin": {"promptSha256": "XYZ"}, "maxDelegationDepth": 99}
            """;
        var response = await _app.As(BrokerApp.Orchestrator).CreateTaskAsync(body);
        var errors = (await response.JsonAsync())["errors"]!.AsObject();

        Assert.Multiple(() =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(errors.Select(e => e.Key), Is.EquivalentTo(new[]
            {
                "agent", "workflow.id", "authorization[0].tool", "authorization[0].destination", "authorization[0].actions",
                "ttlSeconds", "origin.promptSha256", "maxDelegationDepth",
            }));
        });
    }

    [Test]
    public async Task An_agent_of_an_untrusted_trust_domain_is_refused() =>
        Assert.That((await _app.As(BrokerApp.Orchestrator).CreateTaskAsync(Api.TaskBody("spiffe://elsewhere.example/agent"))).StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));

    [TestCase("""{"agent": "x", "unknown": 1}""", TestName = "unknown member")]
    [TestCase("""{"ttlSeconds": 60, "ttlSeconds": 900}""", TestName = "duplicate member")]
    [TestCase("""{"ttlSeconds": "600"}""", TestName = "number as string")]
    [TestCase("""{"agent": """, TestName = "truncated")]
    [TestCase("[]", TestName = "array")]
    [TestCase("null", TestName = "null")]
    public async Task Bodies_that_are_not_the_contract_are_400_and_never_500(string body)
    {
        var response = await _app.As(BrokerApp.Orchestrator).CreateTaskAsync(body);
        var text = await response.Content.ReadAsStringAsync();

        Assert.Multiple(() =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(text, Does.Not.Contain("   at "), "no stack trace");
        });
    }

    [Test]
    public async Task A_body_that_is_not_json_is_415()
    {
        var response = await _app.As(BrokerApp.Orchestrator).PostAsync("/v1/tasks", new StringContent(Api.TaskBody(_app.AgentId)));
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.UnsupportedMediaType));
    }

    [Test]
    public async Task The_same_idempotency_key_and_body_returns_the_same_task()
    {
        var client = _app.As(BrokerApp.Orchestrator);
        var first = await client.CreateTaskAsync(Api.TaskBody(_app.AgentId), "order-42");
        var retry = await client.CreateTaskAsync(Api.TaskBody(_app.AgentId), "order-42");
        var firstBody = await first.JsonAsync();
        var retryBody = await retry.JsonAsync();

        Assert.Multiple(() =>
        {
            Assert.That(retry.StatusCode, Is.EqualTo(HttpStatusCode.Created));
            Assert.That(retry.Headers.GetValues("Idempotent-Replayed"), Is.EqualTo(new[] { "true" }));
            Assert.That((string?)retryBody["taskId"], Is.EqualTo((string?)firstBody["taskId"]));
            Assert.That((string?)retryBody["jti"], Is.EqualTo((string?)firstBody["jti"]));
        });
    }

    [Test]
    public async Task The_same_idempotency_key_with_another_body_is_422()
    {
        var client = _app.As(BrokerApp.Orchestrator);
        await client.CreateTaskAsync(Api.TaskBody(_app.AgentId), "order-43");
        var reuse = await client.CreateTaskAsync(Api.TaskBody(_app.AgentId, ttlSeconds: 300), "order-43");

        Assert.That(reuse.StatusCode, Is.EqualTo(HttpStatusCode.UnprocessableEntity));
    }

    [Test]
    public async Task The_creating_orchestrator_and_the_soc_read_the_task_with_its_credentials()
    {
        var (taskId, _, jti) = await _app.As(BrokerApp.Orchestrator).CreateTaskOkAsync(_app.AgentId);

        var mine = await _app.As(BrokerApp.Orchestrator).GetAsync($"/v1/tasks/{taskId}");
        var soc = await _app.As(BrokerApp.Soc).GetAsync($"/v1/tasks/{taskId}");
        var task = await mine.JsonAsync();
        var credential = task["credentials"]![0]!;

        Assert.Multiple(() =>
        {
            Assert.That(mine.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(soc.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That((string?)task["state"], Is.EqualTo("created"));
            Assert.That((string?)task["agent"], Is.EqualTo(_app.AgentId));
            Assert.That((string?)task["workflow"]!["id"], Is.EqualTo("wf-invoices"));
            Assert.That((string?)task["approval"]!["id"], Is.EqualTo("CHG-1042"));
            Assert.That((string?)task["origin"]!["promptId"], Is.EqualTo("p-77"));
            Assert.That(task.ContainsKey("revoked"), Is.False);
            Assert.That((string?)credential["jti"], Is.EqualTo(jti));
            Assert.That((string?)credential["kind"], Is.EqualTo("task"));
            Assert.That((string?)credential["status"], Is.EqualTo("active"));
            Assert.That(credential.AsObject().ContainsKey("parent") && credential["parent"] is null, Is.True);
            Assert.That(credential.AsObject().ContainsKey("revokedAt") && credential["revokedAt"] is null, Is.True);
        });
    }

    [Test]
    public async Task Another_orchestrator_cannot_see_or_change_the_task()
    {
        var (taskId, _, _) = await _app.As(BrokerApp.Orchestrator).CreateTaskOkAsync(_app.AgentId);
        var other = _app.As(BrokerApp.OtherOrchestrator);

        Assert.Multiple(async () =>
        {
            Assert.That((await other.GetAsync($"/v1/tasks/{taskId}")).StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
            Assert.That((await other.ChangeStateAsync(taskId, "cancelled")).StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
            Assert.That((await _app.As(BrokerApp.Agent).GetAsync($"/v1/tasks/{taskId}")).StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        });
    }

    [Test]
    public async Task Completing_a_task_makes_its_token_inactive_at_once()
    {
        var orchestrator = _app.As(BrokerApp.Orchestrator);
        var (taskId, token, _) = await orchestrator.CreateTaskOkAsync(_app.AgentId);
        var before = await orchestrator.IntrospectJsonAsync(token);

        var completed = await orchestrator.ChangeStateAsync(taskId, "completed", "all done");
        var task = await completed.JsonAsync();
        var after = await (await orchestrator.IntrospectAsync(token)).Content.ReadAsStringAsync();

        Assert.Multiple(() =>
        {
            Assert.That((bool?)before["active"], Is.True);
            Assert.That(completed.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That((string?)task["state"], Is.EqualTo("completed"));
            Assert.That((int?)task["revoked"], Is.EqualTo(1));
            Assert.That((string?)task["credentials"]![0]!["status"], Is.EqualTo("revoked"));
            Assert.That((string?)task["credentials"]![0]!["revocationReason"], Is.EqualTo("task_completed"));
            Assert.That(after, Is.EqualTo("""{"active":false}"""));
        });
    }

    [Test]
    public async Task Legal_transitions_succeed_and_illegal_ones_are_409()
    {
        var orchestrator = _app.As(BrokerApp.Orchestrator);
        var (taskId, token, _) = await orchestrator.CreateTaskOkAsync(_app.AgentId);

        var pausedFromCreated = await orchestrator.ChangeStateAsync(taskId, "paused");
        var running = await orchestrator.ChangeStateAsync(taskId, "running");
        var awaiting = await orchestrator.ChangeStateAsync(taskId, "awaiting_approval");
        var notByTheOrchestrator = await orchestrator.ChangeStateAsync(taskId, "running");
        var notByTheOrchestratorProblem = await notByTheOrchestrator.JsonAsync();
        using var @operator = _app.As(BrokerApp.Operator);
        var back = await @operator.ContinueAsync(taskId, 300, "approved in CHG-7");
        var failed = await orchestrator.ChangeStateAsync(taskId, "failed");
        var revived = await orchestrator.ChangeStateAsync(taskId, "running");
        var conflict = await revived.JsonAsync();

        Assert.Multiple(async () =>
        {
            Assert.That(pausedFromCreated.StatusCode, Is.EqualTo(HttpStatusCode.Conflict));
            Assert.That(running.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(awaiting.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That((int?)(await awaiting.JsonAsync())["revoked"], Is.Zero);
            Assert.That(notByTheOrchestrator.StatusCode, Is.EqualTo(HttpStatusCode.Conflict), "awaiting_approval resumes only through an operator's approval");
            Assert.That((string?)notByTheOrchestratorProblem["detail"], Does.Contain("continuation"));
            Assert.That(back.StatusCode, Is.EqualTo(HttpStatusCode.OK), "the operator's continuation resumes it");
            Assert.That((string?)(await back.JsonAsync())["state"], Is.EqualTo("running"));
            Assert.That(failed.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(revived.StatusCode, Is.EqualTo(HttpStatusCode.Conflict));
            Assert.That(revived.Content.Headers.ContentType!.MediaType, Is.EqualTo("application/problem+json"));
            Assert.That((string?)conflict["currentState"], Is.EqualTo("failed"));
            Assert.That((bool?)(await orchestrator.IntrospectJsonAsync(token))["active"], Is.False, "the old task token went with the continuation");
        });
    }

    [TestCase("done")]
    [TestCase("Completed")]
    [TestCase("created")]
    public async Task Unknown_or_unreachable_state_names_are_rejected(string state)
    {
        var orchestrator = _app.As(BrokerApp.Orchestrator);
        var (taskId, _, _) = await orchestrator.CreateTaskOkAsync(_app.AgentId);
        var response = await orchestrator.ChangeStateAsync(taskId, state);

        Assert.That(response.StatusCode, Is.EqualTo(state == "created" ? HttpStatusCode.OK : HttpStatusCode.BadRequest));
    }

    [Test]
    public async Task A_token_expires_with_its_ttl()
    {
        var orchestrator = _app.As(BrokerApp.Orchestrator);
        var (_, token, _) = await orchestrator.CreateTaskOkAsync(_app.AgentId, ttlSeconds: 60);
        _app.Time.Advance(TimeSpan.FromSeconds(59));
        var before = await orchestrator.IntrospectJsonAsync(token);
        _app.Time.Advance(TimeSpan.FromSeconds(1));
        var after = await _app.As(BrokerApp.Orchestrator).IntrospectJsonAsync(token);

        Assert.Multiple(() =>
        {
            Assert.That((bool?)before["active"], Is.True);
            Assert.That((bool?)after["active"], Is.False);
        });
    }
}
