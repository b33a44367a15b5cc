using System.Net;
using CredentialBroker.Abstractions.Soc;
using CredentialBroker.Server.Soc;
using CredentialBroker.Soc;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace CredentialBroker.Server.Tests.Soc;

/// <summary>
/// A bulk revocation is in force for its whole subtree from its 202 on — before the fan-out reaches a single record.
/// The hosts here never fan out (the job that would is held back), so only the rule can make a credential inactive.
/// </summary>
public sealed class RuleInForceTests
{
    /// <summary>A replica whose bulk revocations are stored and in force as rules, but never fanned out during the test.</summary>
    private static BrokerApp WithoutFanOut(BrokerApp app)
    {
        app.Settings["CredentialBroker:Soc:ProgressInterval"] = "01:00:00";
        app.Settings["CredentialBroker:Soc:Lease"] = "04:00:00";
        app.TestServices = services =>
        {
            var trigger = services.Single(d => d.ServiceType == typeof(IHostedService) && d.ImplementationType == typeof(BulkRevocationTrigger));
            services.Remove(trigger);
        };
        return app;
    }

    private sealed record Chain(string TaskToken, string TaskJti, string Delegated, string DelegatedAccess);

    /// <summary>The agent's task, delegated to the other agent, who holds an access token from it.</summary>
    private static async Task<Chain> DelegatedChainAsync(BrokerApp app)
    {
        using var orchestrator = app.As(BrokerApp.Orchestrator);
        using var agent = app.As(BrokerApp.Agent);
        using var subAgent = app.As(BrokerApp.OtherAgent);
        var (_, token, jti) = await orchestrator.CreateTaskOkAsync(app.AgentId);
        var delegated = (string)(await (await agent.DelegateAsync(token, app.Trust.Id(BrokerApp.OtherAgent))).JsonAsync())["access_token"]!;
        var access = (string)(await (await subAgent.AccessTokenAsync(delegated)).JsonAsync())["access_token"]!;
        return new Chain(token, jti, delegated, access);
    }

    [TestCase("workload")]
    [TestCase("derivedFrom")]
    public async Task Every_descendant_of_a_selected_credential_is_inactive_and_unexchangeable_from_the_202(string member)
    {
        await using var app = WithoutFanOut(BrokerApp.Redis());
        using var soc = app.As(BrokerApp.Soc);
        using var subAgent = app.As(BrokerApp.OtherAgent);
        var selected = await DelegatedChainAsync(app);
        var untouched = await DelegatedChainAsync(app);
        var selector = member == "workload" ? $$"""{"workload": "{{app.AgentId}}", "taskId": "{{TaskOf(app, selected)}}"}""" : $$"""{"derivedFrom": "{{selected.TaskJti}}"}""";

        var accepted = await soc.BulkRevokeAsync($$"""{"selector": {{selector}}, "reason": "contain"}""");
        var delegated = await soc.IntrospectJsonAsync(selected.Delegated);
        var delegatedAccess = await soc.IntrospectJsonAsync(selected.DelegatedAccess);
        var exchange = await subAgent.AccessTokenAsync(selected.Delegated);
        var twinDelegated = await soc.IntrospectJsonAsync(untouched.Delegated);
        var twinExchange = await subAgent.AccessTokenAsync(untouched.Delegated);

        Assert.Multiple(async () =>
        {
            Assert.That(accepted.StatusCode, Is.EqualTo(HttpStatusCode.Accepted));
            Assert.That((bool)delegated["active"]!, Is.False, "the delegate's token derives from the selected task token");
            Assert.That((bool)delegatedAccess["active"]!, Is.False, "and so does the delegate's access token");
            Assert.That(exchange.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That((string)(await exchange.JsonAsync())["error"]!, Is.EqualTo("invalid_grant"));
            Assert.That((bool)twinDelegated["active"]!, Is.True, "a chain the selector does not reach stays active");
            Assert.That(twinExchange.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        });
    }

    [Test]
    public async Task Another_replica_enforces_the_subtree_rule_after_its_refresh()
    {
        await using var first = WithoutFanOut(BrokerApp.Redis());
        await using var second = WithoutFanOut(first.Replica());
        using var socOnSecond = second.As(BrokerApp.Soc);
        var chain = await DelegatedChainAsync(first);
        var before = await socOnSecond.IntrospectJsonAsync(chain.DelegatedAccess);

        await first.As(BrokerApp.Soc).BulkRevokeAsync($$"""{"selector": {"derivedFrom": "{{chain.TaskJti}}"}, "reason": "contain"}""");
        await second.Services.GetRequiredService<BulkRevocationService>().RefreshRulesAsync(CancellationToken.None); // what its rule job does every RuleRefreshInterval
        var after = await socOnSecond.IntrospectJsonAsync(chain.DelegatedAccess);

        Assert.Multiple(() =>
        {
            Assert.That((bool)before["active"]!, Is.True);
            Assert.That((bool)after["active"]!, Is.False);
        });
    }

    private static string TaskOf(BrokerApp app, Chain chain) =>
        (string)System.Text.Json.Nodes.JsonNode.Parse(System.Text.Encoding.UTF8.GetString(Microsoft.IdentityModel.Tokens.Base64UrlEncoder.DecodeBytes(chain.TaskToken.Split('.')[1])))!["task_id"]!;
}
