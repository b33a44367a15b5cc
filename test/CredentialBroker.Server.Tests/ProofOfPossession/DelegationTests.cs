using System.Net;
using CredentialBroker.Testing;

namespace CredentialBroker.Server.Tests.ProofOfPossession;

/// <summary>
/// Delegation that never hands one workload another's broker credential, on a real broker and Redis: the sub-agent named
/// by SPIFFE ID, or by a JWT-SVID it addressed to the delegating agent; a sub-agent SVID addressed to the broker is
/// refused as an actor token; only the sub-agent can use the delegated token; mayAct denies by default.
/// </summary>
public sealed class DelegationTests : IDisposable
{
    private readonly BrokerApp _app = BrokerApp.Redis();

    public void Dispose() => _app.Dispose();

    private string SubAgentId => _app.Trust.Id(BrokerApp.OtherAgent);

    private static async Task<(HttpStatusCode Status, string? Error, string? Code)> OutcomeAsync(HttpResponseMessage response)
    {
        var body = await response.JsonAsync();
        return (response.StatusCode, (string?)body["error"], (string?)body["code"]);
    }

    [Test]
    public async Task Named_by_spiffe_id_the_sub_agent_uses_its_delegated_token_and_the_delegating_agent_cannot()
    {
        var (_, token, _) = await _app.As(BrokerApp.Orchestrator).CreateTaskOkAsync(_app.AgentId);
        using var agent = _app.As(BrokerApp.Agent);
        using var subAgent = _app.As(BrokerApp.OtherAgent);

        var delegated = await agent.DelegateAsync(token, SubAgentId);
        var delegatedToken = (string)(await delegated.JsonAsync())["access_token"]!;
        var bySubAgent = await subAgent.AccessTokenAsync(delegatedToken);
        var byDelegatingAgent = await agent.AccessTokenAsync(delegatedToken);

        Assert.Multiple(async () =>
        {
            Assert.That(delegated.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That((string?)JwtParts.Payload(delegatedToken)["cnf"]!["spiffe_id"], Is.EqualTo(SubAgentId));
            Assert.That((string?)JwtParts.Payload(delegatedToken)["act"]!["sub"], Is.EqualTo(SubAgentId));
            Assert.That(bySubAgent.StatusCode, Is.EqualTo(HttpStatusCode.OK), await bySubAgent.Content.ReadAsStringAsync());
            Assert.That(await OutcomeAsync(byDelegatingAgent), Is.EqualTo((HttpStatusCode.BadRequest, "invalid_grant", "subject-not-bound")));
        });
    }

    [Test]
    public async Task A_consent_svid_addressed_to_the_delegating_agent_is_accepted_and_one_addressed_to_the_broker_is_refused_saying_why()
    {
        var (_, token, _) = await _app.As(BrokerApp.Orchestrator).CreateTaskOkAsync(_app.AgentId);
        using var agent = _app.As(BrokerApp.Agent);
        using var subAgent = _app.As(BrokerApp.OtherAgent);
        var forBroker = _app.Svid(BrokerApp.OtherAgent);
        var consent = _app.Trust.Svid(BrokerApp.OtherAgent, _app.AgentId, _app.Time.GetUtcNow());

        var refused = await agent.DelegateWithSvidAsync(token, forBroker);
        var refusal = await refused.JsonAsync();
        var accepted = await agent.DelegateWithSvidAsync(token, consent);
        var delegatedToken = (string)(await accepted.JsonAsync())["access_token"]!;
        var bySubAgent = await subAgent.AccessTokenAsync(delegatedToken);

        Assert.Multiple(async () =>
        {
            Assert.That(refused.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(((string?)refusal["error"], (string?)refusal["code"]), Is.EqualTo(("invalid_request", "actor-svid-for-broker")));
            Assert.That((string?)refusal["error_description"], Does.Contain("addressed to this broker").And.Contain("urn:credentialbroker:token-type:spiffe-id"));
            Assert.That(accepted.StatusCode, Is.EqualTo(HttpStatusCode.OK), (string?)(await accepted.JsonAsync())["error_description"]);
            Assert.That((string?)JwtParts.Payload(delegatedToken)["cnf"]!["spiffe_id"], Is.EqualTo(SubAgentId));
            Assert.That(bySubAgent.StatusCode, Is.EqualTo(HttpStatusCode.OK), await bySubAgent.Content.ReadAsStringAsync());
        });
    }

    [Test]
    public async Task The_consent_svid_is_no_credential_at_the_broker_while_the_sub_agents_own_svid_is()
    {
        var (_, token, _) = await _app.As(BrokerApp.Orchestrator).CreateTaskOkAsync(_app.AgentId);
        var delegated = await _app.As(BrokerApp.Agent).DelegateAsync(token, SubAgentId);
        var delegatedToken = (string)(await delegated.JsonAsync())["access_token"]!;
        using var withConsent = _app.CreateClient();
        withConsent.DefaultRequestHeaders.Authorization = new("Bearer", _app.Trust.Svid(BrokerApp.OtherAgent, _app.AgentId, _app.Time.GetUtcNow()));

        var asSubAgentWithConsent = await withConsent.AccessTokenAsync(delegatedToken);
        var asSubAgent = await _app.As(BrokerApp.OtherAgent).AccessTokenAsync(delegatedToken);

        Assert.Multiple(async () =>
        {
            Assert.That(await OutcomeAsync(asSubAgentWithConsent), Is.EqualTo((HttpStatusCode.Unauthorized, "invalid_client", "unauthenticated")));
            Assert.That(asSubAgent.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        });
    }

    [Test]
    public async Task A_task_without_may_act_is_not_delegated_and_one_naming_the_sub_agent_is()
    {
        var orchestrator = _app.As(BrokerApp.Orchestrator);
        var withoutMayAct = System.Text.RegularExpressions.Regex.Replace(Api.TaskBody(_app.AgentId), @",\s*""mayAct"": \[[^\]]*\]", string.Empty);
        var namingIt = System.Text.RegularExpressions.Regex.Replace(Api.TaskBody(_app.AgentId), @"""mayAct"": \[[^\]]*\]", $"\"mayAct\": [\"{SubAgentId}\"]");
        var denied = (string)(await (await orchestrator.CreateTaskAsync(withoutMayAct)).JsonAsync())["token"]!;
        var allowed = (string)(await (await orchestrator.CreateTaskAsync(namingIt)).JsonAsync())["token"]!;
        using var agent = _app.As(BrokerApp.Agent);

        var refused = await agent.DelegateAsync(denied, SubAgentId);
        var refusedDescription = (string?)(await refused.JsonAsync())["error_description"];
        var delegated = await agent.DelegateAsync(allowed, SubAgentId);
        var toAnother = await agent.DelegateAsync(allowed, _app.Trust.Id("/agents/third"));

        Assert.Multiple(async () =>
        {
            Assert.That(withoutMayAct, Does.Not.Contain("mayAct"));
            Assert.That(await OutcomeAsync(refused), Is.EqualTo((HttpStatusCode.BadRequest, "invalid_grant", "actor-not-allowed")));
            Assert.That(refusedDescription, Does.Contain("mayAct"));
            Assert.That(delegated.StatusCode, Is.EqualTo(HttpStatusCode.OK), await delegated.Content.ReadAsStringAsync());
            Assert.That(await OutcomeAsync(toAnother), Is.EqualTo((HttpStatusCode.BadRequest, "invalid_grant", "actor-not-allowed")));
        });
    }
}
