using System.Text.Json.Nodes;
using CredentialBroker.Client.Audit;
using CredentialBroker.Client.Orchestrators;
using CredentialBroker.Testing;
using StackExchange.Redis;

namespace CredentialBroker.Server.Tests.Client;

/// <summary>The audit and operator calls of CredentialBroker.Client against a broker on a real redis-server.</summary>
public sealed class AuditClientTests : IAsyncDisposable
{
    private const string SubAgent = "/agents/sub-bot";
    private const string SubSubAgent = "/agents/sub-sub-bot";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private readonly BrokerApp _app = BrokerApp.Redis();
    private BrokerClients? _clients;

    private BrokerClients Clients => _clients ??= BrokerClients.For(_app, paths: [BrokerApp.Orchestrator, BrokerApp.Agent, SubAgent, SubSubAgent, BrokerApp.Soc, BrokerApp.Operator]);

    public async ValueTask DisposeAsync()
    {
        if (_clients is not null)
        {
            await _clients.DisposeAsync();
        }

        _app.Dispose();
    }

    /// <summary>A task whose agent delegates to a sub-agent, which delegates again; the last one takes an access token.</summary>
    private async Task<(IssuedTask Task, string DelegatedJti, string SecondDelegatedJti, string AccessJti)> DelegationChainAsync()
    {
        var task = (await Clients.Orchestrator().CreateTaskAsync(BrokerClients.Task(_app, maxDelegationDepth: 2) with { MayAct = [_app.Trust.Id("/agents/")] })).Value;
        var delegated = (await Clients.Agent().DelegateAsync(task.Token, _app.Trust.Id(SubAgent))).Value;
        var again = (await Clients.Agent(SubAgent).DelegateAsync(delegated.Token, _app.Trust.Id(SubSubAgent))).Value;
        var access = (await Clients.Agent(SubSubAgent).ExchangeAsync(again.Token, "postgres://payments")).Value;
        return (task, Jti(delegated.Token), Jti(again.Token), Jti(access.Token));
    }

    private static string Jti(string token) => (string)JwtParts.Payload(token)["jti"]!;

    [Test]
    public async Task GetTraceAsync_names_every_party_of_a_three_level_delegation_chain_and_verifies()
    {
        var (task, delegatedJti, secondJti, accessJti) = await DelegationChainAsync();

        var trace = (await Clients.Audit().GetTraceAsync(accessJti)).Value;

        Assert.Multiple(() =>
        {
            Assert.That(trace.Credential.Jti, Is.EqualTo(accessJti));
            Assert.That(trace.Credential.Kind, Is.EqualTo("access_token"));
            Assert.That(trace.Credential.Holder, Is.EqualTo(_app.Trust.Id(SubSubAgent)));
            Assert.That(trace.Credential.Resource, Is.EqualTo("postgres://payments"));
            Assert.That(trace.Credential.IssuedAt, Is.EqualTo(_app.Time.GetUtcNow()).Within(TimeSpan.FromSeconds(2)), "NumericDate read as a time");
            Assert.That(trace.Ancestors.Select(a => a.Jti), Is.EqualTo(new[] { task.Jti, delegatedJti, secondJti }), "task token first, parent last");
            Assert.That(trace.Chain.Select(c => c.Depth), Is.EqualTo(new[] { 0, 1, 2, 2 }));
            Assert.That(trace.Task.TaskId, Is.EqualTo(task.TaskId));
            Assert.That(trace.Task.Workflow!.Id, Is.EqualTo("wf-invoices"));
            Assert.That(trace.Task.Approval!.Id, Is.EqualTo("CHG-1042"));
            Assert.That(trace.Task.Origin!.PromptId, Is.EqualTo("p-77"));
            Assert.That(trace.Accountable.WorkflowDesigner, Is.EqualTo("team-payments"));
            Assert.That(trace.Accountable.Approver, Is.EqualTo("alice@corp.example"));
            Assert.That(trace.Accountable.RequestedBy, Is.EqualTo("user:bob@corp.example"));
            Assert.That(trace.Accountable.Orchestrator, Is.EqualTo(_app.Trust.Id(BrokerApp.Orchestrator)));
            Assert.That(trace.Accountable.Agent, Is.EqualTo(_app.AgentId));
            Assert.That(trace.Accountable.Actors, Is.EqualTo(new[] { _app.Trust.Id(SubAgent), _app.Trust.Id(SubSubAgent) }));
            Assert.That(trace.Decisions.Select(d => d.Type), Does.Contain("task.created").And.Contain("credential.issued"));
            Assert.That(trace.Decisions.Where(d => d.Type == "credential.issued").Select(d => d.Jti), Is.SupersetOf(new[] { delegatedJti, secondJti, accessJti }));
            Assert.That(trace.Decisions.Select(d => d.Allowed), Has.All.True);
            Assert.That(trace.Events, Is.GreaterThanOrEqualTo(4));
            Assert.That(trace.Verified, Is.True);
        });
    }

    [Test]
    public async Task GetTraceAsync_of_an_unknown_jti_is_not_found_and_by_a_workload_without_the_role_forbidden()
    {
        var (_, _, _, accessJti) = await DelegationChainAsync();

        var known = await Clients.Audit(BrokerApp.Operator).GetTraceAsync(accessJti);
        var unknown = await Clients.Audit().GetTraceAsync("no-such-jti");
        var byAgent = await Clients.Audit(BrokerApp.Agent).GetTraceAsync(accessJti);

        Assert.Multiple(() =>
        {
            Assert.That(known.IsSuccess, Is.True, known.ToString());
            Assert.That(unknown.Error?.Status, Is.EqualTo(404));
            Assert.That(byAgent.Error?.Status, Is.EqualTo(403));
        });
    }

    [Test]
    public async Task VerifyAsync_passes_on_the_log_as_written_and_names_the_event_someone_altered_in_redis()
    {
        var (task, _, _, _) = await DelegationChainAsync();
        var intact = (await Clients.Audit().VerifyAsync()).Value;
        var fromSecond = (await Clients.Audit().VerifyAsync(fromSeq: 2, chain: 0)).Value;

        // Someone with write access to Redis rewrites who created the task.
        await using var redis = await ConnectionMultiplexer.ConnectAsync(RedisFixture.Server.ConnectionString);
        var key = $"{_app.KeyPrefix}:{{t:0}}:audit";
        var entries = await redis.GetDatabase().ListRangeAsync(key);
        var index = Array.FindIndex(entries, e => (string?)JsonNode.Parse((string)e!)!["event"]!["type"] == "task.created" && ((string)e!).Contains(task.TaskId, StringComparison.Ordinal));
        var entry = JsonNode.Parse((string)entries[index]!)!;
        entry["event"]!["orchestrator"] = "spiffe://test.example/orchestrators/someone-else";
        await redis.GetDatabase().ListSetByIndexAsync(key, index, entry.ToJsonString());
        var tampered = (await Clients.Audit().VerifyAsync()).Value;
        var trace = (await Clients.Audit().GetTraceAsync(task.Jti)).Value;

        Assert.Multiple(() =>
        {
            Assert.That(intact.Verified, Is.True, intact.ToString());
            Assert.That(intact.Events, Is.EqualTo(entries.Length));
            Assert.That(fromSecond.Verified, Is.True, fromSecond.ToString());
            Assert.That(fromSecond.Events, Is.EqualTo(entries.Length - 1));
            Assert.That(tampered.Verified, Is.False);
            Assert.That(tampered.Reason, Is.EqualTo(AuditFailureReasons.Altered));
            Assert.That(tampered.Chain, Is.Zero);
            Assert.That(tampered.FirstBadEvent, Is.EqualTo((long)entry["seq"]!));
            Assert.That(tampered.Detail, Is.Not.Empty);
            Assert.That(trace.Verified, Is.False, "the trace rests on the altered event");
        });
    }

    [Test]
    public async Task ReadEventsAsync_pages_through_the_chain_without_gaps_or_repeats_and_keeps_each_event_as_sent()
    {
        var (task, _, _, _) = await DelegationChainAsync();
        var audit = Clients.Audit();

        var first = (await audit.ReadEventsAsync(afterSeq: 0, limit: 2)).Value;
        var second = (await audit.ReadEventsAsync(first.Next, limit: 2)).Value;
        var all = await audit.ReadAllEventsAsync().ToListAsync();
        var rest = await audit.ReadAllEventsAsync(afterSeq: all[^1].Seq).ToListAsync();
        var created = all.Single(e => e.Type == "task.created" && e.TaskId == task.TaskId);

        Assert.Multiple(() =>
        {
            Assert.That(first.Events.Select(e => e.Seq), Is.EqualTo(new long[] { 1, 2 }));
            Assert.That(first.Next, Is.EqualTo(2));
            Assert.That(second.Events.Select(e => e.Seq), Is.EqualTo(new long[] { 3, 4 }));
            Assert.That(all.Select(e => e.Seq), Is.EqualTo(Enumerable.Range(1, all.Count).Select(i => (long)i)));
            Assert.That(rest, Is.Empty, "nothing after the last event");
            Assert.That(created.Actor, Is.EqualTo(_app.Trust.Id(BrokerApp.Orchestrator)));
            Assert.That(created.Time, Is.EqualTo(_app.Time.GetUtcNow()).Within(TimeSpan.FromSeconds(2)));
            Assert.That(created.Json, Does.Not.Contain("\n").And.StartWith("{\"seq\":"));
            Assert.That(JsonNode.Parse(created.Json)!["body"]!.GetValue<string>(), Is.EqualTo(created.Body));
            Assert.That(JsonNode.Parse(created.Body)!["workflow"]!["designer"]!.GetValue<string>(), Is.EqualTo("team-payments"));
            Assert.That(created.Hash, Has.Length.EqualTo(40));
            Assert.That(all[1].Prev, Is.EqualTo(all[0].Hash));
        });
    }

    [Test]
    public async Task ListCheckpointsAsync_lists_the_signed_checkpoints_over_the_chain_heads()
    {
        await DelegationChainAsync();
        var audit = Clients.Audit();
        var before = (await audit.ListCheckpointsAsync()).Value;
        var head = (await audit.ReadAllEventsAsync().ToListAsync())[^1];

        // The checkpointer looks every second of the broker's clock.
        IReadOnlyList<SignedCheckpoint> checkpoints = [];
        await Poll.UntilAsync(async () =>
        {
            _app.Time.Advance(TimeSpan.FromSeconds(1));
            checkpoints = (await audit.ListCheckpointsAsync()).Value;
            return checkpoints.Count > 0 && checkpoints[^1].Heads[0].Seq >= head.Seq;
        }, Patience, "a checkpoint over the chain's head");

        Assert.Multiple(() =>
        {
            Assert.That(before, Is.Empty);
            Assert.That(checkpoints[0].Seq, Is.EqualTo(1));
            Assert.That(checkpoints[^1].Heads[0].Seq, Is.EqualTo(head.Seq), "no event came after the head");
            Assert.That(checkpoints[^1].Heads[0].Hash, Is.EqualTo(head.Hash));
            Assert.That(checkpoints[^1].Jws.Split('.'), Has.Length.EqualTo(3), "a compact JWS");
            Assert.That(checkpoints[^1].Time, Is.EqualTo(_app.Time.GetUtcNow()).Within(TimeSpan.FromMinutes(1)));
        });
    }

    [Test]
    public async Task ContinueTaskAsync_by_an_operator_issues_a_fresh_task_token_and_by_an_orchestrator_is_forbidden()
    {
        var task = (await Clients.Orchestrator().CreateTaskAsync(BrokerClients.Task(_app))).Value;

        var byOrchestrator = await Clients.Operator(BrokerApp.Orchestrator).ContinueTaskAsync(task.TaskId, TimeSpan.FromMinutes(5), "not mine to permit");
        var continued = (await Clients.Operator().ContinueTaskAsync(task.TaskId, TimeSpan.FromMinutes(5), "approved in CHG-7")).Value;
        var old = (await Clients.Soc().IntrospectAsync(task.Token)).Value;
        var fresh = (await Clients.Soc().IntrospectAsync(continued.Token)).Value;
        var trace = (await Clients.Audit().GetTraceAsync(continued.Jti)).Value;

        Assert.Multiple(() =>
        {
            Assert.That(byOrchestrator.Error?.Status, Is.EqualTo(403));
            Assert.That(continued.TaskId, Is.EqualTo(task.TaskId));
            Assert.That(continued.Jti, Is.Not.EqualTo(task.Jti));
            Assert.That(continued.ContinuedBy, Is.EqualTo(_app.Trust.Id(BrokerApp.Operator)));
            Assert.That(continued.ExpiresAt, Is.EqualTo(_app.Time.GetUtcNow().AddMinutes(5)).Within(TimeSpan.FromSeconds(2)), "five minutes from now");
            Assert.That(old.Active, Is.False, "the old task token is revoked");
            Assert.That(fresh.Active, Is.True);
            Assert.That(trace.Accountable.ContinuationOperators, Is.EqualTo(new[] { _app.Trust.Id(BrokerApp.Operator) }));
        });
    }
}
