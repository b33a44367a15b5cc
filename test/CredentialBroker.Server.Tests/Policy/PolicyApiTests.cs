using System.Net;
using CredentialBroker.Policy;
using Microsoft.Extensions.DependencyInjection;

namespace CredentialBroker.Server.Tests.Policy;

/// <summary>Policy as configured in a running broker: decisions at creation and exchange, facts, risk, reload.</summary>
public sealed class PolicyApiTests : IDisposable
{
    private const string PolicyYaml = """
        dataClasses:
          postgres://payments: confidential
        rules:
          - id: deny-high-risk
            effect: deny
            condition: facts.risk.agent in ['high', 'critical'] || facts.risk.workflow in ['high', 'critical']
          - id: no-writes
            effect: deny
            description: Nothing writes here.
            condition: "'write' in request.actions"
          - id: confidential-short
            effect: limit
            condition: facts.dataClass == 'confidential'
            maxTtlSeconds: 120
          - id: allow-test-domain
            effect: allow
            condition: caller.trustDomain == 'test.example'
        """;

    private readonly string _directory = Directory.CreateTempSubdirectory("cb-policy-").FullName;
    private readonly BrokerApp _app;

    public PolicyApiTests()
    {
        File.WriteAllText(PolicyFile, PolicyYaml);
        _app = BrokerApp.Redis();
        _app.Settings["CredentialBroker:Policy:Path"] = _directory;
    }

    private string PolicyFile => Path.Combine(_directory, "policy.yaml");

    public void Dispose()
    {
        _app.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    private static string Body(string agent, string actions = "\"read\"", int ttl = 120, string? dataClass = null, string destination = "postgres://payments") => $$"""
        {"agent": "{{agent}}", "workflow": {"id": "wf-invoices"},
         "authorization": [{"tool": "sql.query", "destination": "{{destination}}", "actions": [{{actions}}]{{(dataClass is null ? "" : $", \"dataClass\": \"{dataClass}\"")}}}],
         "ttlSeconds": {{ttl}}, "maxDelegationDepth": 1}
        """;

    [Test]
    public async Task The_soc_sees_which_policy_is_in_force()
    {
        var response = await _app.As(BrokerApp.Soc).GetAsync("/v1/policy");
        var policy = await response.JsonAsync();
        var orchestrator = await _app.As(BrokerApp.Orchestrator).GetAsync("/v1/policy");

        Assert.Multiple(() =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That((string?)policy["version"], Does.StartWith("sha256:"));
            Assert.That((string?)policy["source"], Is.EqualTo(_directory));
            Assert.That(policy["rules"]!.AsArray().Select(r => (string?)r), Is.EqualTo(new[] { "deny-high-risk", "no-writes", "confidential-short", "allow-test-domain" }));
            Assert.That((string?)policy["dataClasses"]!["postgres://payments"], Is.EqualTo("confidential"));
            Assert.That(policy["lastReloadErrors"]!.AsArray(), Is.Empty);
            Assert.That(orchestrator.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        });
    }

    [Test]
    public async Task A_task_policy_denies_is_403_with_the_rule_and_version_and_its_twin_is_201()
    {
        var orchestrator = _app.As(BrokerApp.Orchestrator);
        var denied = await orchestrator.CreateTaskAsync(Body(_app.AgentId, actions: "\"read\", \"write\""));
        var problem = await denied.JsonAsync();
        var allowed = await orchestrator.CreateTaskAsync(Body(_app.AgentId));

        Assert.Multiple(() =>
        {
            Assert.That(denied.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
            Assert.That((string?)problem["type"], Is.EqualTo("urn:credentialbroker:problem:policy-denied"));
            Assert.That((string?)problem["rule"], Is.EqualTo("no-writes"));
            Assert.That((string?)problem["policyVersion"], Does.StartWith("sha256:"));
            Assert.That((string?)problem["detail"], Does.Contain("Nothing writes here."));
            Assert.That(allowed.StatusCode, Is.EqualTo(HttpStatusCode.Created));
        });
    }

    [Test]
    public async Task A_ttl_limit_by_data_class_applies_at_creation_and_at_exchange()
    {
        var orchestrator = _app.As(BrokerApp.Orchestrator);
        var tooLong = await orchestrator.CreateTaskAsync(Body(_app.AgentId, ttl: 121));
        var unregistered = await orchestrator.CreateTaskAsync(Body(_app.AgentId, ttl: 600, destination: "https://crm.example"));
        var created = await orchestrator.CreateTaskAsync(Body(_app.AgentId, ttl: 120));
        var token = (string)(await created.JsonAsync())["token"]!;
        var exchanged = await (await _app.As(BrokerApp.Agent).AccessTokenAsync(token)).JsonAsync();

        Assert.Multiple(() =>
        {
            Assert.That(tooLong.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
            Assert.That(unregistered.StatusCode, Is.EqualTo(HttpStatusCode.Created));
            Assert.That(created.StatusCode, Is.EqualTo(HttpStatusCode.Created));
            Assert.That((int)exchanged["expires_in"]!, Is.LessThanOrEqualTo(120));
        });
    }

    [Test]
    public async Task A_declared_data_class_that_contradicts_the_registered_one_is_400()
    {
        var orchestrator = _app.As(BrokerApp.Orchestrator);
        var contradicting = await orchestrator.CreateTaskAsync(Body(_app.AgentId, dataClass: "public"));
        var matching = await orchestrator.CreateTaskAsync(Body(_app.AgentId, dataClass: "confidential"));
        var absent = await orchestrator.CreateTaskAsync(Body(_app.AgentId));
        var recorded = (string)JwtFor(await absent.JsonAsync())["authorization_details"]![0]!["datatypes"]![0]!;

        Assert.Multiple(async () =>
        {
            Assert.That(contradicting.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That((string?)(await contradicting.JsonAsync())["errors"]!["authorization[0].dataClass"]![0], Does.Contain("registered"));
            Assert.That(matching.StatusCode, Is.EqualTo(HttpStatusCode.Created));
            Assert.That(recorded, Is.EqualTo("confidential"));
        });
    }

    private static System.Text.Json.Nodes.JsonObject JwtFor(System.Text.Json.Nodes.JsonObject created) => CredentialBroker.Testing.JwtParts.Payload((string)created["token"]!);

    [Test]
    public async Task A_risk_level_set_by_the_soc_stops_issuance_and_exchange_until_it_is_lifted()
    {
        var orchestrator = _app.As(BrokerApp.Orchestrator);
        var token = (string)(await (await orchestrator.CreateTaskAsync(Body(_app.AgentId))).JsonAsync())["token"]!;
        var soc = _app.As(BrokerApp.Soc);
        var agentPath = _app.AgentId["spiffe://".Length..];

        var set = await soc.PutAsync($"/v1/risk/workloads/{agentPath}", Api.Json("""{"level": "high", "reason": "prompt injection suspected"}"""));
        var listed = await (await soc.GetAsync("/v1/risk")).Content.ReadAsStringAsync();
        var exchange = await _app.As(BrokerApp.Agent).TokenAsync(
            ("grant_type", Api.TokenExchange), ("subject_token", token), ("subject_token_type", Api.JwtType), ("resource", "postgres://payments"),
            ("risk", "low"), ("data_class", "public")); // labels an agent sends are not facts: ignored
        var creation = await orchestrator.CreateTaskAsync(Body(_app.AgentId));
        await soc.PutAsync($"/v1/risk/workloads/{agentPath}", Api.Json("""{"level": "none"}"""));
        var afterLift = await _app.As(BrokerApp.Agent).AccessTokenAsync(token);

        Assert.Multiple(async () =>
        {
            Assert.That(set.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That((string?)(await set.JsonAsync())["setBy"], Is.EqualTo(_app.Trust.Id(BrokerApp.Soc)));
            Assert.That(listed, Does.Contain("\"level\":\"high\"").And.Contain(_app.AgentId));
            Assert.That((string?)(await exchange.JsonAsync())["error"], Is.EqualTo("invalid_target"));
            Assert.That((string?)(await exchange.JsonAsync())["error_description"], Does.Contain("deny-high-risk"));
            Assert.That(creation.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
            Assert.That(afterLift.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        });
    }

    [Test]
    public async Task A_workflow_risk_level_applies_to_every_task_of_the_workflow()
    {
        await _app.As(BrokerApp.Soc).PutAsync("/v1/risk/workflows/wf-invoices", Api.Json("""{"level": "critical"}"""));
        var denied = await _app.As(BrokerApp.Orchestrator).CreateTaskAsync(Body(_app.AgentId));
        await _app.As(BrokerApp.Soc).PutAsync("/v1/risk/workflows/wf-invoices", Api.Json("""{"level": "low"}"""));
        var allowed = await _app.As(BrokerApp.Orchestrator).CreateTaskAsync(Body(_app.AgentId));

        Assert.Multiple(() =>
        {
            Assert.That(denied.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
            Assert.That(allowed.StatusCode, Is.EqualTo(HttpStatusCode.Created));
        });
    }

    [Test]
    public async Task Only_the_soc_sets_risk_and_only_valid_levels_and_ids()
    {
        var agentPath = _app.AgentId["spiffe://".Length..];
        var byAgent = await _app.As(BrokerApp.Agent).PutAsync($"/v1/risk/workloads/{agentPath}", Api.Json("""{"level": "none"}"""));
        var badLevel = await _app.As(BrokerApp.Soc).PutAsync($"/v1/risk/workloads/{agentPath}", Api.Json("""{"level": "extreme"}"""));
        var badId = await _app.As(BrokerApp.Soc).PutAsync("/v1/risk/workloads/Test.example/agents/x", Api.Json("""{"level": "low"}"""));

        Assert.Multiple(() =>
        {
            Assert.That(byAgent.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
            Assert.That(badLevel.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(badId.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        });
    }

    [TestCase("https://allowed.example@evil.example/api", TestName = "user info")]
    [TestCase("https://allowed.example./api", TestName = "trailing dot")]
    [TestCase("https://аllowed.example/api", TestName = "look-alike cyrillic a")]
    [TestCase("http://2130706433/api", TestName = "decimal IPv4")]
    [TestCase("http://0177.0.0.1/api", TestName = "octal IPv4")]
    [TestCase("https://Allowed.Example/api", TestName = "uppercase host")]
    [TestCase("HTTPS://allowed.example/api", TestName = "uppercase scheme")]
    [TestCase("https://allowed.example/api#frag", TestName = "fragment")]
    public async Task Spoofable_destinations_are_refused_at_creation(string destination) =>
        Assert.That((await _app.As(BrokerApp.Orchestrator).CreateTaskAsync(Body(_app.AgentId, destination: destination))).StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));

    [TestCase("https://allowed.example/api")]
    [TestCase("http://127.0.0.1:8443/api")]
    [TestCase("https://xn--llowed-3ve.example/api")]
    public async Task Unambiguous_destinations_are_accepted_and_match_only_exactly(string destination)
    {
        var created = await _app.As(BrokerApp.Orchestrator).CreateTaskAsync(Body(_app.AgentId, destination: destination));
        var token = (string)(await created.JsonAsync())["token"]!;
        var agent = _app.As(BrokerApp.Agent);

        Assert.Multiple(async () =>
        {
            Assert.That(created.StatusCode, Is.EqualTo(HttpStatusCode.Created));
            Assert.That((await agent.AccessTokenAsync(token, resource: destination)).StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That((string?)(await (await agent.AccessTokenAsync(token, resource: destination + "/")).JsonAsync())["error"], Is.EqualTo("invalid_target"));
        });
    }

    [Test]
    public async Task A_policy_file_change_takes_effect_and_a_broken_one_is_rejected_while_the_old_policy_stays()
    {
        var soc = _app.As(BrokerApp.Soc);
        var source = _app.Services.GetRequiredService<ReloadingPolicySource>();
        var before = (string)(await (await soc.GetAsync("/v1/policy")).JsonAsync())["version"]!;

        var broken = await ReloadAfterAsync(source, e => e.Errors.Count > 0, () => File.WriteAllText(PolicyFile, PolicyYaml + "\n  - id: broken\n    effect: allow\n    condition: 'request.tool =='\n"));
        var afterBroken = await (await soc.GetAsync("/v1/policy")).JsonAsync();
        var stillDenied = await _app.As(BrokerApp.Orchestrator).CreateTaskAsync(Body(_app.AgentId, actions: "\"write\""));

        var fixedUp = await ReloadAfterAsync(source, e => e.Errors.Count == 0 && e.Version != before, () => File.WriteAllText(PolicyFile, PolicyYaml.Replace("'write' in request.actions", "'delete' in request.actions", StringComparison.Ordinal)));
        var afterFix = await (await soc.GetAsync("/v1/policy")).JsonAsync();
        var nowAllowed = await _app.As(BrokerApp.Orchestrator).CreateTaskAsync(Body(_app.AgentId, actions: "\"write\""));

        Assert.Multiple(() =>
        {
            Assert.That(broken.Errors, Is.Not.Empty);
            Assert.That((string?)afterBroken["version"], Is.EqualTo(before));
            Assert.That(afterBroken["lastReloadErrors"]![0]!.ToString(), Does.Contain("rule broken: the condition does not compile"));
            Assert.That(stillDenied.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
            Assert.That(fixedUp.Errors, Is.Empty);
            Assert.That((string?)afterFix["version"], Is.Not.EqualTo(before));
            Assert.That(afterFix["lastReloadErrors"]!.AsArray(), Is.Empty);
            Assert.That(nowAllowed.StatusCode, Is.EqualTo(HttpStatusCode.Created));
        });
    }

    [Test]
    public async Task Requests_during_reloads_never_fail()
    {
        var source = _app.Services.GetRequiredService<ReloadingPolicySource>();
        var orchestrator = _app.As(BrokerApp.Orchestrator);
        using var stop = new CancellationTokenSource();
        var requests = Enumerable.Range(0, 4).Select(async _ =>
        {
            var statuses = new List<HttpStatusCode>();
            while (!stop.IsCancellationRequested)
            {
                statuses.Add((await orchestrator.CreateTaskAsync(Body(_app.AgentId, actions: "\"write\""))).StatusCode);
            }

            return statuses;
        }).ToList();

        for (var i = 0; i < 20; i++)
        {
            await File.WriteAllTextAsync(PolicyFile, i % 2 == 0 ? PolicyYaml.Replace("'write' in", "'delete' in", StringComparison.Ordinal) : PolicyYaml);
            source.Reload();
        }

        await stop.CancelAsync();
        var statuses = (await Task.WhenAll(requests)).SelectMany(s => s).ToList();

        Assert.Multiple(() =>
        {
            Assert.That(statuses, Is.Not.Empty);
            Assert.That(statuses, Is.All.AnyOf(HttpStatusCode.Created, HttpStatusCode.Forbidden),
                () => string.Join('\n', _app.Logs.GetSnapshot().Where(r => r.Level >= Microsoft.Extensions.Logging.LogLevel.Warning).Select(r => r.Message + " " + r.Exception?.GetType().Name)));
        });
    }

    // Writes through the real file watcher and waits for the reload outcome it should trigger
    // (an editor's write can raise several events; an earlier one may see a half-written file).
    private static async Task<PolicyReloadedEventArgs> ReloadAfterAsync(ReloadingPolicySource source, Func<PolicyReloadedEventArgs, bool> expected, Action write)
    {
        var reloaded = new TaskCompletionSource<PolicyReloadedEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnReloaded(object? sender, PolicyReloadedEventArgs e)
        {
            if (expected(e))
            {
                reloaded.TrySetResult(e);
            }
        }

        source.Reloaded += OnReloaded;
        try
        {
            write();
            return await reloaded.Task.WaitAsync(TimeSpan.FromSeconds(30));
        }
        finally
        {
            source.Reloaded -= OnReloaded;
        }
    }
}
