using System.Net;

namespace CredentialBroker.Server.Tests.Tasks;

/// <summary>Continuation approvals: only an operator lets a task outlive its deadline, within policy, on the record.</summary>
public sealed class ContinuationTests : IDisposable
{
    private const string PolicyYaml = """
        rules:
          - id: continue-briefly
            effect: allow
            operations: [continue]
            maxTtlSeconds: 120
            condition: "true"
          - id: allow-all
            effect: allow
            condition: "true"
        """;

    private readonly string _directory = Directory.CreateTempSubdirectory("cb-policy-").FullName;
    private readonly BrokerApp _app = BrokerApp.Redis();

    public ContinuationTests()
    {
        File.WriteAllText(Path.Combine(_directory, "policy.yaml"), PolicyYaml);
        _app.Settings["CredentialBroker:Policy:Path"] = _directory;
    }

    public void Dispose()
    {
        _app.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    [Test]
    public async Task An_operator_continues_a_task_with_a_fresh_token_the_old_one_dies_and_the_trace_names_the_operator()
    {
        var (taskId, oldToken, _) = await _app.As(BrokerApp.Orchestrator).CreateTaskOkAsync(_app.AgentId, ttlSeconds: 60);
        _app.Time.Advance(TimeSpan.FromSeconds(50));

        var response = await _app.As(BrokerApp.Operator).ContinueAsync(taskId, 120, "CHG-2001: nightly run overran");
        var body = await response.JsonAsync();
        var newToken = (string)body["token"]!;
        _app.Time.Advance(TimeSpan.FromSeconds(30)); // past the original deadline
        var exchanged = await _app.As(BrokerApp.Agent).AccessTokenAsync(newToken);
        var withOld = await _app.As(BrokerApp.Agent).AccessTokenAsync(oldToken);
        var trace = await (await _app.As(BrokerApp.Soc).GetAsync($"/v1/audit/trace?jti={(string)body["jti"]!}")).JsonAsync();
        var task = await (await _app.As(BrokerApp.Orchestrator).GetAsync($"/v1/tasks/{taskId}")).JsonAsync();

        Assert.Multiple(() =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That((string?)body["continuedBy"], Is.EqualTo(_app.Trust.Id(BrokerApp.Operator)));
            Assert.That(exchanged.StatusCode, Is.EqualTo(HttpStatusCode.OK), "the fresh token works past the old deadline");
            Assert.That(withOld.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest), "the old token was revoked");
            Assert.That(trace["accountable"]!["continuationOperators"]!.AsArray().Select(o => (string?)o), Is.EqualTo(new[] { _app.Trust.Id(BrokerApp.Operator) }));
            Assert.That(trace["decisions"]!.AsArray().Select(d => (string?)d!["type"]), Does.Contain("task.continued"));
            Assert.That(trace["decisions"]!.AsArray().Where(d => (string?)d!["type"] == "task.continued").Select(d => (string?)d!["rule"]), Is.EqualTo(new[] { "continue-briefly,allow-all" }).Or.EqualTo(new[] { "continue-briefly" }).Or.EqualTo(new[] { "allow-all" }));
            Assert.That(DateTimeOffset.Parse((string)task["expiresAt"]!, System.Globalization.CultureInfo.InvariantCulture), Is.EqualTo(_app.Time.GetUtcNow().AddSeconds(90)).Within(TimeSpan.FromSeconds(2)));
        });
    }

    [Test]
    public async Task Concurrent_continuations_of_one_task_leave_one_live_task_token_and_a_later_one_continues_it()
    {
        var (taskId, oldToken, _) = await _app.As(BrokerApp.Orchestrator).CreateTaskOkAsync(_app.AgentId, ttlSeconds: 60);
        using var @operator = _app.As(BrokerApp.Operator);

        // Operators racing on one task: each read the same deadline; only the first to move it may mint the task's token.
        var raced = await Task.WhenAll(Enumerable.Range(0, 6).Select(i => @operator.ContinueAsync(taskId, 60 + i, $"race {i}")));
        var racedTokens = new List<string>();
        foreach (var response in raced.Where(r => r.StatusCode == HttpStatusCode.OK))
        {
            racedTokens.Add((string)(await response.JsonAsync())["token"]!);
        }

        var liveAfterRace = 0;
        foreach (var token in racedTokens)
        {
            liveAfterRace += (await _app.As(BrokerApp.Agent).AccessTokenAsync(token)).StatusCode == HttpStatusCode.OK ? 1 : 0;
        }

        var later = await @operator.ContinueAsync(taskId, 90, "a later continuation, after reading the task");
        var laterToken = (string)(await later.JsonAsync())["token"]!;
        var withLater = await _app.As(BrokerApp.Agent).AccessTokenAsync(laterToken);
        var stillLive = 0;
        foreach (var token in racedTokens.Append(oldToken))
        {
            stillLive += (await _app.As(BrokerApp.Agent).AccessTokenAsync(token)).StatusCode == HttpStatusCode.OK ? 1 : 0;
        }

        Assert.Multiple(() =>
        {
            Assert.That(raced.Select(r => r.StatusCode), Is.All.EqualTo(HttpStatusCode.OK).Or.EqualTo(HttpStatusCode.Conflict));
            Assert.That(racedTokens, Is.Not.Empty, "one of them continued the task");
            Assert.That(liveAfterRace, Is.EqualTo(1), "a continuation that lost the race minted no second live task token");
            Assert.That(later.StatusCode, Is.EqualTo(HttpStatusCode.OK), "a continuation that read the current deadline");
            Assert.That(withLater.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(stillLive, Is.Zero, "every earlier task token died with the later continuation");
        });
    }

    [Test]
    public async Task Beyond_the_policy_limit_by_a_non_operator_or_on_an_ended_task_a_continuation_is_refused_and_changes_nothing()
    {
        var orchestrator = _app.As(BrokerApp.Orchestrator);
        var (taskId, token, _) = await orchestrator.CreateTaskOkAsync(_app.AgentId, ttlSeconds: 60);
        using var @operator = _app.As(BrokerApp.Operator);

        var tooLong = await @operator.ContinueAsync(taskId, 300, "longer than policy allows");
        var pastMaxTaskTtl = await @operator.ContinueAsync(taskId, 100_000, "longer than any task");
        var noReason = await @operator.ContinueAsync(taskId, 60, "");
        var byOrchestrator = await orchestrator.ContinueAsync(taskId, 60, "self-approval");
        var bySoc = await _app.As(BrokerApp.Soc).ContinueAsync(taskId, 60, "not an operator");
        var unknown = await @operator.ContinueAsync("tsk_nope", 60, "no such task");
        var stillValid = await _app.As(BrokerApp.Agent).AccessTokenAsync(token);
        var allowed = await @operator.ContinueAsync(taskId, 60, "within policy");
        await orchestrator.ChangeStateAsync(taskId, "completed");
        var ended = await @operator.ContinueAsync(taskId, 60, "too late");
        var problem = await tooLong.JsonAsync();

        Assert.Multiple(() =>
        {
            Assert.That(tooLong.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
            Assert.That((string?)problem["code"], Is.EqualTo("policy-denied"));
            Assert.That(pastMaxTaskTtl.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(noReason.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(byOrchestrator.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
            Assert.That(bySoc.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
            Assert.That(unknown.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
            Assert.That(stillValid.StatusCode, Is.EqualTo(HttpStatusCode.OK), "refused continuations left the task token alone");
            Assert.That(allowed.StatusCode, Is.EqualTo(HttpStatusCode.OK), "the same operator within policy");
            Assert.That(ended.StatusCode, Is.EqualTo(HttpStatusCode.Conflict));
        });
    }
}
