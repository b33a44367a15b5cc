using CredentialBroker.Testing;
using System.Net;
using CredentialBroker.Abstractions;
using CredentialBroker.Abstractions.Storage;
using CredentialBroker.Abstractions.Tasks;
using CredentialBroker.Core;
using CredentialBroker.Core.Tasks;
using CredentialBroker.EmbeddedStore;
using Microsoft.Extensions.DependencyInjection;

namespace CredentialBroker.Server.Tests.Soc;

/// <summary>
/// SOC bulk revocation against a real redis-server and a real Redis Cluster (three primaries, three replicas; writes
/// confirmed on a replica; the SOC indexes spread over the primaries): selection, dry run, progress, the rule in force,
/// quarantine.
/// </summary>
[TestFixture(false)]
[TestFixture(true)]
public sealed class BulkRevocationTests(bool cluster)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);
    private string _redis = null!;

    [SetUp]
    public async Task SetUpAsync() =>
        _redis = cluster ? (await RedisFixture.ClusterAsync()).ConnectionString : RedisFixture.Server.ConnectionString;

    private BrokerApp Redis()
    {
        var app = BrokerApp.Redis(_redis);
        if (cluster)
        {
            app.Settings["CredentialBroker:Redis:WaitForReplicas"] = "1";
            app.Settings["CredentialBroker:Redis:ReplicaWaitTimeout"] = "00:00:05"; // a loaded CI machine: seconds, not the default half second
        }

        return app;
    }

    /// <summary>What the fleet holds: a credential's store key, its holder and kind.</summary>
    private sealed record Issued(string TaskId, string Jti, string Holder, CredentialKind Kind, bool Targeted);

    /// <summary>
    /// Writes 10,000 live credentials through the broker's store: 4,000 tasks of four agents in two workflows, each with
    /// its task token and an access token; every fourth task also delegates to a sub-agent, which holds an access token
    /// of its own. Credentials of <paramref name="target"/>'s tasks (and those derived from them) are the targeted ones.
    /// </summary>
    private static async Task<List<Issued>> PopulateAsync(BrokerApp app, string target)
    {
        var store = app.Services.GetRequiredService<ICredentialStore>();
        var now = app.Time.GetUtcNowSeconds();
        var issued = new System.Collections.Concurrent.ConcurrentBag<Issued>();
        await Parallel.ForEachAsync(Enumerable.Range(0, 4000), new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (i, ct) =>
        {
            var agent = app.Trust.Id($"/agents/w{i % 4}");
            var targeted = agent == target;
            var taskId = $"tsk_bulk{i:00000}_{Guid.NewGuid():N}";
            var task = new TaskRecord(taskId, agent, new WorkflowRef($"wf-{i % 2}", null, null), [new AuthorizationGrant("sql.query", "postgres://payments", ["read"], null)],
                new TaskApproval("CHG-1", "alice@corp.example", now), null, 2, [], app.Trust.Id(BrokerApp.Orchestrator), now, now.AddMinutes(10), TaskState.Running, now, null);
            var root = new CredentialRecord($"t{i}", taskId, CredentialKind.Task, null, agent, now, now.AddMinutes(10));
            await store.CreateTaskAsync(task, root, TestAudit.For(task.TaskId), ct);
            issued.Add(new(taskId, root.Jti, agent, root.Kind, targeted));
            await AddAsync(new CredentialRecord($"a{i}", taskId, CredentialKind.AccessToken, root.Jti, agent, now, now.AddMinutes(5), Audience: "postgres://payments"));
            if (i % 16 < 4) // one task in four of each agent delegates
            {
                var sub = app.Trust.Id($"/agents/sub{i % 3}");
                await AddAsync(new CredentialRecord($"d{i}", taskId, CredentialKind.Delegated, root.Jti, sub, now, now.AddMinutes(10), Depth: 1));
                await AddAsync(new CredentialRecord($"da{i}", taskId, CredentialKind.AccessToken, $"d{i}", sub, now, now.AddMinutes(5), Audience: "https://ledger.example", Depth: 1));
            }

            async Task AddAsync(CredentialRecord credential)
            {
                var added = await store.AddCredentialAsync(credential, [TaskState.Running], now, 1000, TestAudit.For(credential.TaskId), ct);
                if (added.Outcome != CredentialAddition.Added)
                {
                    throw new InvalidOperationException($"Could not add {credential.Jti}: {added}");
                }

                issued.Add(new(taskId, credential.Jti, credential.Holder, credential.Kind, targeted));
            }
        });
        return [.. issued];
    }

    [Test]
    public async Task Revoking_a_workload_kills_every_credential_it_holds_or_derived_and_touches_no_other()
    {
        await using var app = Redis();
        using var soc = app.As(BrokerApp.Soc);
        var target = app.Trust.Id("/agents/w1");
        var fleet = await PopulateAsync(app, target);
        var targeted = fleet.Where(c => c.Targeted).ToList();

        using var watch = new RevocationWatch(app);
        var dryRun = await (await soc.BulkRevokeAsync($$"""{"selector": {"workload": "{{target}}"}, "dryRun": true}""")).JsonAsync();
        var accepted = await soc.BulkRevokeAsync($$"""{"selector": {"workload": "{{target}}"}, "reason": "agent w1 crossed a boundary"}""");
        var started = await accepted.JsonAsync();
        var done = await soc.WaitUntilDoneAsync(watch, (string)started["id"]!, Patience);

        var store = app.Services.GetRequiredService<ICredentialStore>();
        var now = app.Time.GetUtcNow();
        var records = new System.Collections.Concurrent.ConcurrentDictionary<Issued, CredentialRecord>();
        await Parallel.ForEachAsync(fleet, new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (c, ct) =>
            records[c] = (await store.GetCredentialAsync(c.TaskId, c.Jti, ct))!.Credential);

        Assert.Multiple(() =>
        {
            Assert.That(fleet, Has.Count.EqualTo(10_000));
            Assert.That(targeted, Has.Count.EqualTo(2_500));
            Assert.That((int)dryRun["matched"]!["total"]!, Is.EqualTo(targeted.Count));
            Assert.That((int)dryRun["matched"]!["byKind"]!["task"]!, Is.EqualTo(1000));
            Assert.That((int)dryRun["matched"]!["byKind"]!["delegated"]!, Is.EqualTo(250));
            Assert.That((int)dryRun["matched"]!["byKind"]!["access_token"]!, Is.EqualTo(1250));
            Assert.That(accepted.StatusCode, Is.EqualTo(HttpStatusCode.Accepted));
            Assert.That(accepted.Headers.Location?.ToString(), Is.EqualTo($"/v1/revocations/{started["id"]}"));
            Assert.That((string)done["status"]!, Is.EqualTo("completed"));
            Assert.That((DateTimeOffset?)done["brokerRevokedAt"], Is.GreaterThanOrEqualTo((DateTimeOffset)done["requestedAt"]!).And.LessThanOrEqualTo((DateTimeOffset)done["completedAt"]!));
            foreach (var field in new[] { "revoked", "downstreamRevoked", "verified" })
            {
                Assert.That((int)done[field]!, Is.EqualTo(targeted.Count), field);
            }

            Assert.That((int)done["matched"]!["total"]!, Is.EqualTo((int)dryRun["matched"]!["total"]!), "the dry run matched what the real run revoked");
            Assert.That(targeted.Where(c => records[c].StatusAt(now) != CredentialStatus.Revoked), Is.Empty, "every targeted credential is revoked");
            Assert.That(targeted.Where(c => records[c].Downstream?.VerifiedAt is null || records[c].Downstream?.RevokedAt is null), Is.Empty, "and dead downstream");
            Assert.That(fleet.Where(c => !c.Targeted && records[c].RevokedAt is not null), Is.Empty, "no other credential was touched");
        });
    }

    [Test]
    public async Task Real_tokens_die_at_once_and_the_quarantine_refuses_new_work_until_lifted()
    {
        await using var app = Redis();
        using var soc = app.As(BrokerApp.Soc);
        using var orchestrator = app.As(BrokerApp.Orchestrator);
        using var agent = app.As(BrokerApp.Agent);
        using var other = app.As(BrokerApp.OtherAgent);
        var (_, agentToken, _) = await orchestrator.CreateTaskOkAsync(app.AgentId);
        var (_, otherToken, _) = await orchestrator.CreateTaskOkAsync(app.Trust.Id(BrokerApp.OtherAgent));

        var started = await (await soc.BulkRevokeAsync($$"""{"selector": {"workload": "{{app.AgentId}}"}, "reason": "contain", "quarantine": true}""")).JsonAsync();
        var agentAfter = await soc.IntrospectJsonAsync(agentToken);     // straight after the 202: the rule is in force
        var otherAfter = await soc.IntrospectJsonAsync(otherToken);
        var refusedTask = await orchestrator.CreateTaskAsync(Api.TaskBody(app.AgentId));
        var otherTask = await orchestrator.CreateTaskAsync(Api.TaskBody(app.Trust.Id(BrokerApp.OtherAgent)));
        var refusedExchange = await agent.AccessTokenAsync(agentToken);
        var otherExchange = await other.AccessTokenAsync(otherToken);
        var lifted = await soc.DeleteAsync($"/v1/revocations/{started["id"]}/quarantine");
        var liftedBody = await lifted.JsonAsync();
        var afterLift = await orchestrator.CreateTaskAsync(Api.TaskBody(app.AgentId));

        Assert.Multiple(async () =>
        {
            Assert.That((bool)agentAfter["active"]!, Is.False);
            Assert.That((bool)otherAfter["active"]!, Is.True);
            Assert.That(refusedTask.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
            Assert.That((string)(await refusedTask.JsonAsync())["type"]!, Is.EqualTo("urn:credentialbroker:problem:quarantined"));
            Assert.That(otherTask.StatusCode, Is.EqualTo(HttpStatusCode.Created));
            Assert.That(refusedExchange.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That((string)(await refusedExchange.JsonAsync())["error"]!, Is.EqualTo("invalid_grant"));
            Assert.That(otherExchange.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(lifted.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That((string?)liftedBody["quarantineLiftedAt"], Is.Not.Null);
            Assert.That(afterLift.StatusCode, Is.EqualTo(HttpStatusCode.Created));
        });
    }

    [Test]
    public async Task A_revocation_issued_on_one_replica_is_in_force_on_another()
    {
        await using var first = Redis();
        await using var second = first.Replica();
        using var orchestrator = first.As(BrokerApp.Orchestrator);
        var (_, token, _) = await orchestrator.CreateTaskOkAsync(first.AgentId);
        using var socOnSecond = second.As(BrokerApp.Soc);
        var before = await socOnSecond.IntrospectJsonAsync(token);
        using var watch = new RevocationWatch(first, second);

        var started = await (await first.As(BrokerApp.Soc).BulkRevokeAsync($$"""{"selector": {"workflowId": "wf-invoices"}, "reason": "contain"}""")).JsonAsync();
        var progressOnSecond = await socOnSecond.WaitUntilDoneAsync(watch, (string)started["id"]!, Patience);
        var after = await socOnSecond.IntrospectJsonAsync(token);

        Assert.Multiple(() =>
        {
            Assert.That((bool)before["active"]!, Is.True);
            Assert.That((string)progressOnSecond["status"]!, Is.EqualTo("completed"));
            Assert.That((bool)after["active"]!, Is.False);
        });
    }

    [TestCase("""{"selector": {}, "reason": "x"}""", "selector")]
    [TestCase("""{"selector": {"workload": "not-a-spiffe-id"}, "reason": "x"}""", "selector")]
    [TestCase("""{"selector": {"workflowId": "wf"}}""", "reason")]
    [TestCase("""{"selector": {"workflowId": "wf"}, "reason": "x", "quarantine": true}""", "quarantine")]
    [TestCase("""{"selector": {"workflowId": "wf"}, "reason": "x", "incidentId": "inc_nope"}""", "incidentId")]
    [TestCase("""{"selector": {"issuedAfter": "2026-11-28T10:00:00Z", "issuedBefore": "2026-11-28T09:00:00Z"}, "reason": "x"}""", "selector")]
    public async Task A_bad_request_is_refused_with_the_field_named_and_nothing_revoked(string body, string field)
    {
        await using var app = Redis();
        using var soc = app.As(BrokerApp.Soc);
        using var orchestrator = app.As(BrokerApp.Orchestrator);
        var (_, token, _) = await orchestrator.CreateTaskOkAsync(app.AgentId);

        var response = await soc.BulkRevokeAsync(body);
        var problem = await response.JsonAsync();
        var introspected = await soc.IntrospectJsonAsync(token);

        Assert.Multiple(() =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(problem["errors"]![field], Is.Not.Null, problem.ToJsonString());
            Assert.That((bool)introspected["active"]!, Is.True);
        });
    }

    [Test]
    public async Task Only_the_soc_may_revoke_in_bulk_and_an_unknown_revocation_is_not_found()
    {
        await using var app = Redis();
        using var orchestrator = app.As(BrokerApp.Orchestrator);
        using var soc = app.As(BrokerApp.Soc);

        var refused = await orchestrator.BulkRevokeAsync("""{"selector": {"workflowId": "wf"}, "reason": "x"}""");
        var allowed = await soc.BulkRevokeAsync("""{"selector": {"workflowId": "wf"}, "reason": "x"}""");
        var unknown = await soc.GetAsync("/v1/revocations/rev_unknown");

        Assert.Multiple(() =>
        {
            Assert.That(refused.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
            Assert.That(allowed.StatusCode, Is.EqualTo(HttpStatusCode.Accepted));
            Assert.That(unknown.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        });
    }
}
