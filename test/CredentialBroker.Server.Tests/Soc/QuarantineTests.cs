using System.Net;

namespace CredentialBroker.Server.Tests.Soc;

/// <summary>
/// A quarantine refuses a workload's authority in every role it can play: as the orchestrator creating a task, as the
/// agent a task is for, as the caller or the actor of an exchange, and as any workload up the delegation chain of the
/// token being exchanged (a delegate cannot spend a quarantined agent's authority). Each refusal beside its twin.
/// </summary>
public sealed class QuarantineTests
{
    private static async Task<string> QuarantineAsync(BrokerApp app, string selector)
    {
        using var soc = app.As(BrokerApp.Soc);
        var response = await soc.BulkRevokeAsync($$"""{"selector": {{selector}}, "reason": "contain", "quarantine": true}""");
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Accepted), await response.Content.ReadAsStringAsync());
        return (string)(await response.JsonAsync())["id"]!;
    }

    [Test]
    public async Task A_delegate_cannot_exchange_under_a_task_whose_agent_is_quarantined()
    {
        await using var app = BrokerApp.Redis();
        using var orchestrator = app.As(BrokerApp.Orchestrator);
        using var agent = app.As(BrokerApp.Agent);
        using var subAgent = app.As(BrokerApp.OtherAgent);
        var (_, token, _) = await orchestrator.CreateTaskOkAsync(app.AgentId);
        var delegated = (string)(await (await agent.DelegateAsync(token, app.Trust.Id(BrokerApp.OtherAgent))).JsonAsync())["access_token"]!;
        var before = await subAgent.AccessTokenAsync(delegated);

        // The selector revokes only the agent's tokens for another resource, so the delegated token itself stays unrevoked:
        // only the quarantine stands between the delegate and the quarantined agent's authority.
        var revocationId = await QuarantineAsync(app, $$"""{"workload": "{{app.AgentId}}", "resource": "https://elsewhere.example"}""");
        var during = await subAgent.AccessTokenAsync(delegated);
        await app.As(BrokerApp.Soc).DeleteAsync($"/v1/revocations/{revocationId}/quarantine");
        var afterLift = await subAgent.AccessTokenAsync(delegated);

        Assert.Multiple(async () =>
        {
            Assert.That(before.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(during.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That((string)(await during.JsonAsync())["error"]!, Is.EqualTo("invalid_grant"));
            Assert.That((string)(await during.JsonAsync())["error_description"]!, Does.Contain("quarantined"));
            Assert.That(afterLift.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        });
    }

    [Test]
    public async Task A_quarantined_orchestrator_creates_no_task_and_its_tasks_issue_nothing()
    {
        await using var app = BrokerApp.Redis();
        using var orchestrator = app.As(BrokerApp.Orchestrator);
        using var otherOrchestrator = app.As(BrokerApp.OtherOrchestrator);
        using var agent = app.As(BrokerApp.Agent);
        var (_, ownToken, _) = await orchestrator.CreateTaskOkAsync(app.AgentId);
        var (_, otherToken, _) = await otherOrchestrator.CreateTaskOkAsync(app.AgentId);

        await QuarantineAsync(app, $$"""{"workload": "{{app.Trust.Id(BrokerApp.Orchestrator)}}"}""");
        var refused = await orchestrator.CreateTaskAsync(Api.TaskBody(app.AgentId));
        var allowed = await otherOrchestrator.CreateTaskAsync(Api.TaskBody(app.AgentId));
        var refusedExchange = await agent.AccessTokenAsync(ownToken);
        var allowedExchange = await agent.AccessTokenAsync(otherToken);

        Assert.Multiple(async () =>
        {
            Assert.That(refused.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
            Assert.That((string)(await refused.JsonAsync())["type"]!, Is.EqualTo("urn:credentialbroker:problem:quarantined"));
            Assert.That(allowed.StatusCode, Is.EqualTo(HttpStatusCode.Created));
            Assert.That(refusedExchange.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That((string)(await refusedExchange.JsonAsync())["error"]!, Is.EqualTo("invalid_grant"));
            Assert.That(allowedExchange.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        });
    }

    [Test]
    public async Task A_quarantined_workload_can_be_neither_the_agent_of_a_new_task_nor_the_actor_of_a_delegation()
    {
        await using var app = BrokerApp.Redis();
        using var orchestrator = app.As(BrokerApp.Orchestrator);
        using var agent = app.As(BrokerApp.Agent);
        var (_, token, _) = await orchestrator.CreateTaskOkAsync(app.AgentId);
        var subAgentId = app.Trust.Id(BrokerApp.OtherAgent);

        await QuarantineAsync(app, $$"""{"workload": "{{subAgentId}}"}""");
        var refusedTask = await orchestrator.CreateTaskAsync(Api.TaskBody(subAgentId));
        var allowedTask = await orchestrator.CreateTaskAsync(Api.TaskBody(app.AgentId));
        var refusedDelegation = await agent.DelegateAsync(token, app.Trust.Id(BrokerApp.OtherAgent));
        var allowedExchange = await agent.AccessTokenAsync(token);

        Assert.Multiple(async () =>
        {
            Assert.That(refusedTask.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
            Assert.That(allowedTask.StatusCode, Is.EqualTo(HttpStatusCode.Created));
            Assert.That(refusedDelegation.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That((string)(await refusedDelegation.JsonAsync())["error"]!, Is.EqualTo("invalid_grant"));
            Assert.That(allowedExchange.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        });
    }
}
