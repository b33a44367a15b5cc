using System.Net;
using System.Text.Json.Nodes;
using CredentialBroker.Server.Audit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using StackExchange.Redis;

namespace CredentialBroker.Server.Tests.Audit;

/// <summary>The boundary log on a real Redis: what it records, that tampering with it through Redis is caught, checkpoints.</summary>
public sealed class AuditLogTests : IDisposable
{
    private const string Helper = "/agents/helper-bot";
    private const string Third = "/agents/third-bot";
    private readonly BrokerApp _app = BrokerApp.Redis();

    public void Dispose() => _app.Dispose();

    private RedisKey Log => $"{_app.KeyPrefix}:{{t:0}}:audit";

    [Test]
    public async Task A_three_level_delegation_chain_is_traced_with_every_party_named_and_verified()
    {
        var (taskId, token, taskJti) = await _app.As(BrokerApp.Orchestrator).CreateTaskOkAsync(_app.AgentId);
        var toHelper = (string)(await (await _app.As(BrokerApp.Agent).DelegateAsync(token, _app.Trust.Id(Helper))).JsonAsync())["access_token"]!;
        var toThird = (string)(await (await _app.As(Helper).DelegateAsync(toHelper, _app.Trust.Id(Third))).JsonAsync())["access_token"]!;
        var access = (string)(await (await _app.As(Third).AccessTokenAsync(toThird)).JsonAsync())["access_token"]!;
        var jti = new JsonWebToken(access).Id;

        var response = await _app.As(BrokerApp.Soc).GetAsync($"/v1/audit/trace?jti={jti}");
        var trace = await response.JsonAsync();
        var accountable = trace["accountable"]!;

        Assert.Multiple(() =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That((string?)trace["credential"]!["jti"], Is.EqualTo(jti));
            Assert.That(trace["ancestors"]!.AsArray().Select(a => (string?)a!["holder"]), Is.EqualTo(new[] { _app.AgentId, _app.Trust.Id(Helper), _app.Trust.Id(Third) }));
            Assert.That((string?)trace["ancestors"]![0]!["jti"], Is.EqualTo(taskJti));
            Assert.That((string?)trace["task"]!["taskId"], Is.EqualTo(taskId));
            Assert.That((string?)trace["task"]!["origin"]!["promptId"], Is.EqualTo("p-77"));
            Assert.That((string?)accountable["workflowDesigner"], Is.EqualTo("team-payments"));
            Assert.That((string?)accountable["approver"], Is.EqualTo("alice@corp.example"));
            Assert.That((string?)accountable["requestedBy"], Is.EqualTo("user:bob@corp.example"));
            Assert.That((string?)accountable["orchestrator"], Is.EqualTo(_app.Trust.Id(BrokerApp.Orchestrator)));
            Assert.That((string?)accountable["agent"], Is.EqualTo(_app.AgentId));
            Assert.That(accountable["actors"]!.AsArray().Select(a => (string?)a), Is.EqualTo(new[] { _app.Trust.Id(Helper), _app.Trust.Id(Third) }));
            Assert.That(trace["decisions"]!.AsArray().Select(d => (string?)d!["type"]), Is.EqualTo(new[] { "task.created", "credential.issued", "credential.issued", "credential.issued" }));
            Assert.That(trace["decisions"]!.AsArray().Select(d => (string?)d!["actor"]),
                Is.EqualTo(new[] { _app.Trust.Id(BrokerApp.Orchestrator), _app.AgentId, _app.Trust.Id(Helper), _app.Trust.Id(Third) }), "who acted at each step");
            Assert.That(trace["decisions"]!.AsArray().Select(d => (string?)d!["rule"]), Is.All.EqualTo("allow-attenuated"));
            Assert.That(trace["decisions"]!.AsArray().Select(d => (string?)d!["policyVersion"]), Is.All.Not.Empty);
            Assert.That((bool?)trace["verified"], Is.True);
        });
    }

    [Test]
    public async Task A_trace_needs_the_soc_or_an_operator_and_an_unknown_jti_is_404()
    {
        var (_, _, jti) = await _app.As(BrokerApp.Orchestrator).CreateTaskOkAsync(_app.AgentId);

        var byOperator = await _app.As(BrokerApp.Operator).GetAsync($"/v1/audit/trace?jti={jti}");
        var byOrchestrator = await _app.As(BrokerApp.Orchestrator).GetAsync($"/v1/audit/trace?jti={jti}");
        var byAgent = await _app.As(BrokerApp.Agent).GetAsync($"/v1/audit/verify");
        var unknown = await _app.As(BrokerApp.Soc).GetAsync("/v1/audit/trace?jti=nope");

        Assert.Multiple(() =>
        {
            Assert.That(byOperator.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(byOrchestrator.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
            Assert.That(byAgent.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
            Assert.That(unknown.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        });
    }

    [Test]
    public async Task Every_action_is_in_the_log_in_order_with_its_actor_and_the_chain_links()
    {
        var orchestrator = _app.As(BrokerApp.Orchestrator);
        var (taskId, token, _) = await orchestrator.CreateTaskOkAsync(_app.AgentId);
        var denied = await _app.As(BrokerApp.Agent).AccessTokenAsync(token, "postgres://elsewhere");
        var access = (string)(await (await _app.As(BrokerApp.Agent).AccessTokenAsync(token)).JsonAsync())["access_token"]!;
        await _app.As(BrokerApp.Agent).RevokeAsync(access);
        await orchestrator.ChangeStateAsync(taskId, "completed", "done");

        var page = await (await _app.As(BrokerApp.Soc).GetAsync("/v1/audit/events?after=0&limit=100")).JsonAsync();
        var events = page["events"]!.AsArray().Select(e => e!.AsObject()).Where(e => (string?)e["taskId"] == taskId).ToList();

        Assert.Multiple(() =>
        {
            Assert.That(denied.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest), "the refusal the log must show");
            Assert.That(events.Select(e => (string?)e["type"]), Is.EqualTo(new[] { "task.created", "exchange.denied", "credential.issued", "revocation.recorded", "task.state_changed" }));
            Assert.That(events.Select(e => (string?)e["actor"]), Is.EqualTo(new[]
            {
                _app.Trust.Id(BrokerApp.Orchestrator), _app.AgentId, _app.AgentId, _app.AgentId, _app.Trust.Id(BrokerApp.Orchestrator),
            }));
            Assert.That(events.Select(e => (long)e["seq"]!), Is.Ordered.Ascending);
            Assert.That(page["events"]!.AsArray().Zip(page["events"]!.AsArray().Skip(1)).All(p => (string?)p.Second!["prev"] == (string?)p.First!["hash"]), Is.True, "each event names the hash of the one before");
            Assert.That((long)page["next"]!, Is.EqualTo((long)page["events"]!.AsArray()[^1]!["seq"]!));
            Assert.That(events.Select(e => e.ToJsonString()), Has.None.Contains(token).And.None.Contains(access), "events hold ids, never tokens");
        });
    }

    [TestCase("altered")]
    [TestCase("missing")]
    [TestCase("reordered")]
    [TestCase("rehashed")]
    public async Task Verify_names_the_first_event_changed_through_redis_and_passes_an_untouched_log(string tampering)
    {
        var orchestrator = _app.As(BrokerApp.Orchestrator);
        for (var i = 0; i < 4; i++)
        {
            await orchestrator.CreateTaskOkAsync(_app.AgentId);
        }

        using var soc = _app.As(BrokerApp.Soc);
        var intact = await (await soc.GetAsync("/v1/audit/verify")).JsonAsync();

        await using var redis = await ConnectionMultiplexer.ConnectAsync(RedisFixture.Server.ConnectionString);
        var db = redis.GetDatabase();
        var second = (string)(await db.ListGetByIndexAsync(Log, 1))!;
        var third = (string)(await db.ListGetByIndexAsync(Log, 2))!;
        switch (tampering)
        {
            case "altered":
                await db.ListSetByIndexAsync(Log, 1, second.Replace("p-77", "p-78", StringComparison.Ordinal));
                break;
            case "missing":
                await db.ListRemoveAsync(Log, second);
                break;
            case "reordered":
                await db.ListSetByIndexAsync(Log, 1, third);
                await db.ListSetByIndexAsync(Log, 2, second);
                break;
            case "rehashed":
                // A forger who recomputes the altered event's own hash: the next event still names the old one.
                var entry = JsonNode.Parse(second)!.AsObject();
                var body = entry["event"]!.ToJsonString().Replace("p-77", "p-78", StringComparison.Ordinal);
                var rehashed = Abstractions.Audit.AuditHash.Link(0, 2, (string)entry["prev"]!, body);
                await db.ListSetByIndexAsync(Log, 1, $$"""{"chain":0,"seq":2,"prev":"{{(string)entry["prev"]!}}","hash":"{{rehashed}}","event":{{body}}}""");
                break;
        }

        var tampered = await (await soc.GetAsync("/v1/audit/verify")).JsonAsync();

        Assert.Multiple(() =>
        {
            Assert.That((bool?)intact["verified"], Is.True, "the untouched log");
            Assert.That((long?)intact["events"], Is.EqualTo(5), "the policy version put in force at start, and four tasks");
            Assert.That((bool?)tampered["verified"], Is.False, tampered.ToJsonString());
            Assert.That((long?)tampered["firstBadEvent"], Is.EqualTo(2), tampered.ToJsonString());
            Assert.That((int?)tampered["chain"], Is.Zero);
            Assert.That((string?)tampered["reason"], Is.EqualTo(tampering == "rehashed" ? "altered" : tampering));
        });
    }

    [Test]
    public async Task A_checkpoint_signs_the_heads_with_a_key_of_the_jwks_and_a_rewrite_behind_it_is_caught()
    {
        var orchestrator = _app.As(BrokerApp.Orchestrator);
        await orchestrator.CreateTaskOkAsync(_app.AgentId);
        await orchestrator.CreateTaskOkAsync(_app.AgentId);
        var checkpoint = await _app.Services.GetRequiredService<AuditCheckpointer>().TickAsync(CancellationToken.None);

        using var soc = _app.As(BrokerApp.Soc);
        var listed = JsonNode.Parse(await soc.GetStringAsync("/v1/audit/checkpoints"))!.AsArray();
        var jwks = new JsonWebKeySet(await _app.CreateClient().GetStringAsync("/.well-known/jwks.json"));
        var jws = (string)listed[^1]!["jws"]!;
        var handler = new JsonWebTokenHandler();
        var parameters = new TokenValidationParameters
        {
            ValidIssuer = BrokerApp.TestIssuer, ValidateAudience = false, ValidateLifetime = false, RequireExpirationTime = false,
            ValidTypes = ["audit-checkpoint+jwt"], IssuerSigningKeys = jwks.GetSigningKeys(),
        };
        var valid = await handler.ValidateTokenAsync(jws, parameters);
        var parts = jws.Split('.');
        var forgedPayload = Base64UrlEncoder.Encode(Base64UrlEncoder.Decode(parts[1]).Replace("\"seq\":3", "\"seq\":4", StringComparison.Ordinal));
        var forged = await handler.ValidateTokenAsync($"{parts[0]}.{forgedPayload}.{parts[2]}", parameters);

        // Rewriting the whole chain consistently (every hash recomputed) is caught by the signed head.
        await using var redis = await ConnectionMultiplexer.ConnectAsync(RedisFixture.Server.ConnectionString);
        var db = redis.GetDatabase();
        // Events 2 and 3 are the two tasks (1 is the policy version in force at start).
        var second = JsonNode.Parse((string)(await db.ListGetByIndexAsync(Log, 1))!)!.AsObject();
        var third = JsonNode.Parse((string)(await db.ListGetByIndexAsync(Log, 2))!)!.AsObject();
        var body2 = second["event"]!.ToJsonString().Replace("p-77", "p-78", StringComparison.Ordinal);
        var hash2 = Abstractions.Audit.AuditHash.Link(0, 2, (string)second["prev"]!, body2);
        var body3 = third["event"]!.ToJsonString();
        var hash3 = Abstractions.Audit.AuditHash.Link(0, 3, hash2, body3);
        await db.ListSetByIndexAsync(Log, 1, $$"""{"chain":0,"seq":2,"prev":"{{(string)second["prev"]!}}","hash":"{{hash2}}","event":{{body2}}}""");
        await db.ListSetByIndexAsync(Log, 2, $$"""{"chain":0,"seq":3,"prev":"{{hash2}}","hash":"{{hash3}}","event":{{body3}}}""");
        await db.StringSetAsync($"{_app.KeyPrefix}:{{t:0}}:audit:head", $"3 {hash3}");
        var verify = await (await soc.GetAsync("/v1/audit/verify")).JsonAsync();

        Assert.Multiple(() =>
        {
            Assert.That(checkpoint, Is.Not.Null);
            Assert.That((long?)listed[^1]!["heads"]!["0"]!["seq"], Is.EqualTo(3));
            Assert.That(valid.IsValid, Is.True, valid.Exception?.Message);
            Assert.That(forged.IsValid, Is.False, "a checkpoint whose payload was changed does not verify");
            Assert.That((bool?)verify["verified"], Is.False, verify.ToJsonString());
            Assert.That((long?)verify["firstBadEvent"], Is.EqualTo(3), "the signed head no longer matches");
            Assert.That((string?)verify["reason"], Is.EqualTo("altered"));
        });
    }

    [Test]
    public async Task A_trace_whose_events_were_removed_through_redis_is_not_verified_and_the_untouched_one_is()
    {
        var orchestrator = _app.As(BrokerApp.Orchestrator);
        var (_, token, _) = await orchestrator.CreateTaskOkAsync(_app.AgentId);
        await orchestrator.CreateTaskOkAsync(_app.AgentId);
        var access = (string)(await (await _app.As(BrokerApp.Agent).AccessTokenAsync(token)).JsonAsync())["access_token"]!;
        using var soc = _app.As(BrokerApp.Soc);
        var path = $"/v1/audit/trace?jti={new JsonWebToken(access).Id}";
        var intact = await (await soc.GetAsync(path)).JsonAsync();

        // The task's task.created (event 2) removed: its positions now hold the other task's event, and nothing.
        await using var redis = await ConnectionMultiplexer.ConnectAsync(RedisFixture.Server.ConnectionString);
        var db = redis.GetDatabase();
        await db.ListRemoveAsync(Log, await db.ListGetByIndexAsync(Log, 1));
        var tampered = await (await soc.GetAsync(path)).JsonAsync();

        Assert.Multiple(() =>
        {
            Assert.That((bool?)intact["verified"], Is.True, intact.ToJsonString());
            Assert.That(intact["decisions"]!.AsArray().Select(d => (string?)d!["type"]), Is.EqualTo(new[] { "task.created", "credential.issued" }));
            Assert.That((bool?)tampered["verified"], Is.False, tampered.ToJsonString());
        });
    }

    [Test]
    public async Task Deleting_a_chain_with_its_head_behind_a_checkpoint_is_missing_and_the_untouched_log_verifies()
    {
        await _app.As(BrokerApp.Orchestrator).CreateTaskOkAsync(_app.AgentId);
        await _app.Services.GetRequiredService<AuditCheckpointer>().TickAsync(CancellationToken.None);
        using var soc = _app.As(BrokerApp.Soc);
        var intact = await (await soc.GetAsync("/v1/audit/verify")).JsonAsync();

        // The whole chain wiped, list and head together: no head left that would say the chain ends short.
        await using var redis = await ConnectionMultiplexer.ConnectAsync(RedisFixture.Server.ConnectionString);
        var db = redis.GetDatabase();
        await db.KeyDeleteAsync([Log, $"{_app.KeyPrefix}:{{t:0}}:audit:head"]);
        var wiped = await (await soc.GetAsync("/v1/audit/verify")).JsonAsync();

        Assert.Multiple(() =>
        {
            Assert.That((bool?)intact["verified"], Is.True, intact.ToJsonString());
            Assert.That((long?)intact["events"], Is.EqualTo(2));
            Assert.That((bool?)wiped["verified"], Is.False, wiped.ToJsonString());
            Assert.That((string?)wiped["reason"], Is.EqualTo("missing"));
            Assert.That((int?)wiped["chain"], Is.Zero);
        });
    }

    [Test]
    public async Task Removing_the_oldest_events_through_redis_is_missing_and_a_chain_trimmed_behind_a_kept_checkpoint_verifies()
    {
        _app.Settings["CredentialBroker:Audit:MaxCheckpoints"] = "2";
        _app.Settings["CredentialBroker:Audit:CheckpointEvents"] = "1"; // a checkpoint per tick, without moving the clock
        var orchestrator = _app.As(BrokerApp.Orchestrator);
        var checkpointer = _app.Services.GetRequiredService<AuditCheckpointer>();
        await orchestrator.CreateTaskOkAsync(_app.AgentId);
        await checkpointer.TickAsync(CancellationToken.None); // signs events 1-2
        await orchestrator.CreateTaskOkAsync(_app.AgentId);
        await _app.Services.GetRequiredService<Abstractions.Audit.IAuditLog>().TrimAsync(0, 2, CancellationToken.None);
        for (var i = 0; i < 2; i++)
        {
            // Two more checkpoints: the first one would be the oldest to go, but the chain starts right after it.
            await orchestrator.CreateTaskOkAsync(_app.AgentId);
            await checkpointer.TickAsync(CancellationToken.None);
        }

        using var soc = _app.As(BrokerApp.Soc);
        var trimmed = await (await soc.GetAsync("/v1/audit/verify")).JsonAsync();
        var checkpoints = JsonNode.Parse(await soc.GetStringAsync("/v1/audit/checkpoints"))!.AsArray();

        // The oldest retained event removed, as trimming would, but with no checkpoint signing the one before it.
        await using var redis = await ConnectionMultiplexer.ConnectAsync(RedisFixture.Server.ConnectionString);
        await redis.GetDatabase().ListLeftPopAsync(Log);
        var truncated = await (await soc.GetAsync("/v1/audit/verify")).JsonAsync();

        Assert.Multiple(() =>
        {
            Assert.That((bool?)trimmed["verified"], Is.True, trimmed.ToJsonString());
            Assert.That((long?)trimmed["events"], Is.EqualTo(3), "events 3-5, after the trim");
            Assert.That(checkpoints.Select(c => (long?)c!["heads"]!["0"]!["seq"]), Is.EqualTo(new long?[] { 2, 5 }), "the anchor and the newest are kept past MaxCheckpoints: " + checkpoints.ToJsonString());
            Assert.That((bool?)truncated["verified"], Is.False, truncated.ToJsonString());
            Assert.That((string?)truncated["reason"], Is.EqualTo("missing"));
            Assert.That((long?)truncated["firstBadEvent"], Is.EqualTo(3));
        });
    }

    [Test]
    public async Task When_the_event_cannot_be_written_no_task_and_no_credential_is_recorded()
    {
        var orchestrator = _app.As(BrokerApp.Orchestrator);
        var (taskId, token, _) = await orchestrator.CreateTaskOkAsync(_app.AgentId);
        var issuedTwin = await _app.As(BrokerApp.Agent).AccessTokenAsync(token);

        // The log's list made unwritable (another type): every append fails, and with it the action.
        await using var redis = await ConnectionMultiplexer.ConnectAsync(RedisFixture.Server.ConnectionString);
        var db = redis.GetDatabase();
        var saved = await db.ListRangeAsync(Log);
        await db.KeyDeleteAsync(Log);
        await db.StringSetAsync(Log, "not a list");
        var tasksBefore = redis.GetServers()[0].Keys(pattern: $"{_app.KeyPrefix}:{{t:0}}:task:*").Count();
        var create = await orchestrator.CreateTaskAsync(Api.TaskBody(_app.AgentId));
        var exchange = await _app.As(BrokerApp.Agent).AccessTokenAsync(token);
        var tasksAfter = redis.GetServers()[0].Keys(pattern: $"{_app.KeyPrefix}:{{t:0}}:task:*").Count();
        var task = await (await orchestrator.GetAsync($"/v1/tasks/{taskId}")).JsonAsync();

        Assert.Multiple(() =>
        {
            Assert.That(saved, Has.Length.EqualTo(3), "policy.reloaded at start, task.created and credential.issued, before the log broke");
            Assert.That(issuedTwin.StatusCode, Is.EqualTo(HttpStatusCode.OK), "the same exchange while the log works");
            Assert.That((int)create.StatusCode, Is.GreaterThanOrEqualTo(500), "no task without its event");
            Assert.That(tasksAfter, Is.EqualTo(tasksBefore));
            Assert.That((int)exchange.StatusCode, Is.GreaterThanOrEqualTo(500), "no credential without its event");
            Assert.That(task["credentials"]!.AsArray(), Has.Count.EqualTo(2), "the task token and the twin's access token only");
        });
    }

    [Test]
    public async Task A_resource_too_long_for_an_audience_is_refused_before_the_log_and_an_ordinary_refused_one_is_recorded()
    {
        var (_, token, _) = await _app.As(BrokerApp.Orchestrator).CreateTaskOkAsync(_app.AgentId);
        using var agent = _app.As(BrokerApp.Agent);
        var ordinary = await agent.AccessTokenAsync(token, "postgres://elsewhere");
        var huge = await agent.AccessTokenAsync(token, "postgres://elsewhere/" + new string('a', 60_000));
        var page = await (await _app.As(BrokerApp.Soc).GetAsync("/v1/audit/events?after=0&limit=1000")).JsonAsync();
        var bodies = page["events"]!.AsArray().Select(e => (string)e!["body"]!).ToList();

        Assert.Multiple(() =>
        {
            Assert.That(ordinary.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(huge.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(bodies.Count(b => b.Contains("\"exchange.denied\"", StringComparison.Ordinal)), Is.EqualTo(1), "the ordinary refusal only");
            Assert.That(bodies.Max(b => b.Length), Is.LessThan(4096), "no event carries the 60 KB resource");
        });
    }

    [TestCase("p\"},{\"type\":\"forged\\u0022 \u202e\u00e9\\")]
    [TestCase("p\r\n\u001b[31mred\u001b[0m\u0007")]
    [TestCase("p-plain-77")]
    public async Task Ids_with_json_terminal_and_line_tricks_are_stored_as_data_escaped_and_the_chain_verifies(string promptId)
    {
        var body = Api.TaskBody(_app.AgentId).Replace("\"p-77\"", System.Text.Json.JsonSerializer.Serialize(promptId), StringComparison.Ordinal)
            .Replace("\"CHG-1042\"", System.Text.Json.JsonSerializer.Serialize(promptId), StringComparison.Ordinal)
            .Replace("\"wf-invoices\"", System.Text.Json.JsonSerializer.Serialize("wf-" + promptId.Length), StringComparison.Ordinal);
        var created = await _app.As(BrokerApp.Orchestrator).CreateTaskAsync(body);
        var taskId = (string)(await created.JsonAsync())["taskId"]!;
        var events = await (await _app.As(BrokerApp.Soc).GetAsync("/v1/audit/events?after=0")).JsonAsync();
        var recorded = events["events"]!.AsArray().Single(e => (string?)e!["taskId"] == taskId)!;
        var verify = await (await _app.As(BrokerApp.Soc).GetAsync("/v1/audit/verify")).JsonAsync();
        var stored = (string)recorded["body"]!;

        Assert.Multiple(() =>
        {
            Assert.That(created.StatusCode, Is.EqualTo(HttpStatusCode.Created));
            Assert.That((string?)recorded["origin"]!["promptId"], Is.EqualTo(promptId), "stored exactly, as data");
            Assert.That((string?)recorded["approval"]!["id"], Is.EqualTo(promptId));
            Assert.That((string?)recorded["type"], Is.EqualTo("task.created"), "the id did not forge a member");
            Assert.That(stored.Where(c => char.IsControl(c) || c > '~'), Is.Empty, "CR, LF, ESC, BEL and non-ASCII are escapes in the stored text");
            Assert.That((bool?)verify["verified"], Is.True);
        });
    }
}
