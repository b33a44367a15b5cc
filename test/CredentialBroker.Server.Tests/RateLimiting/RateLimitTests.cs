using System.Net;
using CredentialBroker.Server.Tests.Soc;

namespace CredentialBroker.Server.Tests.RateLimiting;

/// <summary>
/// The rate limits through the HTTP API (development mode, the embedded store, the broker's fake clock): each limit refuses
/// the request past its budget with 429, <c>Retry-After</c> and the endpoint's error shape, while the same request from
/// another caller, for another task, or after the bucket refilled succeeds. The SOC is never limited into failing to revoke.
/// </summary>
public sealed class RateLimitTests
{
    private static readonly TimeSpan Period = TimeSpan.FromSeconds(30);

    private static BrokerApp DevWith(string limit, int tokenLimit)
    {
        var app = BrokerApp.Dev();
        Limit(app, limit, tokenLimit);
        return app;
    }

    internal static void Limit(BrokerApp app, string limit, int tokenLimit)
    {
        app.Settings[$"CredentialBroker:RateLimits:{limit}:TokenLimit"] = tokenLimit.ToString(System.Globalization.CultureInfo.InvariantCulture);
        app.Settings[$"CredentialBroker:RateLimits:{limit}:TokensPerPeriod"] = "1";
        app.Settings[$"CredentialBroker:RateLimits:{limit}:ReplenishmentPeriod"] = "00:00:30";
    }

    internal static async Task AssertOAuthTooManyRequestsAsync(HttpResponseMessage response, string whose)
    {
        var body = await response.JsonAsync();
        Assert.Multiple(() =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.TooManyRequests));
            Assert.That(response.Headers.RetryAfter?.Delta, Is.Not.Null.And.InRange(TimeSpan.FromSeconds(1), Period));
            Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/json"));
            Assert.That((string?)body["error"], Is.EqualTo("slow_down"));
            Assert.That((string?)body["code"], Is.EqualTo("rate-limited"));
            Assert.That((string?)body["error_description"], Does.Contain(whose));
        });
    }

    [Test]
    public async Task Exchanges_past_a_callers_budget_are_429_slow_down_while_another_caller_and_the_refilled_bucket_succeed()
    {
        await using var app = DevWith("Exchange", 2);
        using var orchestrator = app.As(BrokerApp.Orchestrator);
        using var agent = app.As(BrokerApp.Agent);
        using var other = app.As(BrokerApp.OtherAgent);
        var (_, token, _) = await orchestrator.CreateTaskOkAsync(app.AgentId);
        var (_, otherToken, _) = await orchestrator.CreateTaskOkAsync(app.Trust.Id(BrokerApp.OtherAgent));

        var first = await agent.AccessTokenAsync(token);
        var second = await agent.AccessTokenAsync(token);
        var third = await agent.AccessTokenAsync(token);
        var otherCaller = await other.AccessTokenAsync(otherToken);
        app.Time.Advance(Period);
        var refilled = await agent.AccessTokenAsync(token);

        Assert.Multiple(async () =>
        {
            Assert.That(first.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(second.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            await AssertOAuthTooManyRequestsAsync(third, "from this caller");
            Assert.That(otherCaller.StatusCode, Is.EqualTo(HttpStatusCode.OK), "the limit is per caller");
            Assert.That(refilled.StatusCode, Is.EqualTo(HttpStatusCode.OK), await refilled.Content.ReadAsStringAsync());
        });
    }

    [Test]
    public async Task Exchanges_past_a_tasks_budget_are_429_while_the_same_callers_other_task_succeeds()
    {
        await using var app = DevWith("TaskExchange", 2);
        using var orchestrator = app.As(BrokerApp.Orchestrator);
        using var agent = app.As(BrokerApp.Agent);
        var (_, token, _) = await orchestrator.CreateTaskOkAsync(app.AgentId);
        var (_, otherTask, _) = await orchestrator.CreateTaskOkAsync(app.AgentId);

        var granted = new[] { await agent.AccessTokenAsync(token), await agent.AccessTokenAsync(token) };
        var refused = await agent.AccessTokenAsync(token);
        var sameCallerOtherTask = await agent.AccessTokenAsync(otherTask);
        app.Time.Advance(Period);
        var refilled = await agent.AccessTokenAsync(token);

        Assert.Multiple(async () =>
        {
            Assert.That(granted.Select(r => r.StatusCode), Is.All.EqualTo(HttpStatusCode.OK));
            await AssertOAuthTooManyRequestsAsync(refused, "for this task");
            Assert.That(sameCallerOtherTask.StatusCode, Is.EqualTo(HttpStatusCode.OK), "the limit is per task");
            Assert.That(refilled.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        });
    }

    [Test]
    public async Task Another_workload_presenting_a_copy_of_the_task_token_spends_none_of_the_tasks_budget()
    {
        await using var app = DevWith("TaskExchange", 1);
        using var orchestrator = app.As(BrokerApp.Orchestrator);
        using var agent = app.As(BrokerApp.Agent);
        using var thief = app.As(BrokerApp.OtherAgent);
        var (_, token, _) = await orchestrator.CreateTaskOkAsync(app.AgentId);

        var stolen = new[] { await thief.AccessTokenAsync(token), await thief.AccessTokenAsync(token), await thief.AccessTokenAsync(token) };
        var holder = await agent.AccessTokenAsync(token);
        var holderAgain = await agent.AccessTokenAsync(token);

        Assert.Multiple(async () =>
        {
            Assert.That(stolen.Select(r => r.StatusCode), Is.All.EqualTo(HttpStatusCode.BadRequest), "subject-not-bound, never 429");
            Assert.That(holder.StatusCode, Is.EqualTo(HttpStatusCode.OK), "the holder's budget is whole");
            await AssertOAuthTooManyRequestsAsync(holderAgain, "task");
        });
    }

    [Test]
    public async Task A_task_token_that_fails_verification_spends_none_of_the_tasks_budget()
    {
        await using var app = DevWith("TaskExchange", 1);
        using var orchestrator = app.As(BrokerApp.Orchestrator);
        using var agent = app.As(BrokerApp.Agent);
        var (_, token, _) = await orchestrator.CreateTaskOkAsync(app.AgentId);
        var forged = token[..^4] + (token[^4] == 'A' ? "BBBB" : "AAAA");

        var refusedForgeries = new[] { await agent.AccessTokenAsync(forged), await agent.AccessTokenAsync(forged) };
        var genuine = await agent.AccessTokenAsync(token);

        Assert.Multiple(() =>
        {
            Assert.That(refusedForgeries.Select(r => r.StatusCode), Has.None.EqualTo(HttpStatusCode.OK).And.None.EqualTo(HttpStatusCode.TooManyRequests));
            Assert.That(genuine.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        });
    }

    [Test]
    public async Task Task_creation_past_an_orchestrators_budget_is_429_problem_details_while_another_orchestrator_succeeds()
    {
        await using var app = DevWith("Issuance", 1);
        using var orchestrator = app.As(BrokerApp.Orchestrator);
        using var other = app.As(BrokerApp.OtherOrchestrator);

        var first = await orchestrator.CreateTaskAsync(Api.TaskBody(app.AgentId));
        var second = await orchestrator.CreateTaskAsync(Api.TaskBody(app.AgentId));
        var otherCaller = await other.CreateTaskAsync(Api.TaskBody(app.AgentId));
        app.Time.Advance(Period);
        var refilled = await orchestrator.CreateTaskAsync(Api.TaskBody(app.AgentId));
        var problem = await second.JsonAsync();

        Assert.Multiple(() =>
        {
            Assert.That(first.StatusCode, Is.EqualTo(HttpStatusCode.Created));
            Assert.That(second.StatusCode, Is.EqualTo(HttpStatusCode.TooManyRequests));
            Assert.That(second.Headers.RetryAfter?.Delta, Is.Not.Null.And.InRange(TimeSpan.FromSeconds(1), Period));
            Assert.That(second.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"));
            Assert.That((int?)problem["status"], Is.EqualTo(429));
            Assert.That((string?)problem["code"], Is.EqualTo("rate-limited"));
            Assert.That(otherCaller.StatusCode, Is.EqualTo(HttpStatusCode.Created));
            Assert.That(refilled.StatusCode, Is.EqualTo(HttpStatusCode.Created));
        });
    }

    [Test]
    public async Task Introspection_past_a_resource_servers_budget_is_429_while_another_caller_succeeds()
    {
        await using var app = DevWith("Introspection", 1);
        using var orchestrator = app.As(BrokerApp.Orchestrator);
        using var resourceServer = app.As(BrokerApp.ResourceServer);
        using var soc = app.As(BrokerApp.Soc);
        var (_, token, _) = await orchestrator.CreateTaskOkAsync(app.AgentId);

        var first = await resourceServer.IntrospectAsync(token);
        var second = await resourceServer.IntrospectAsync(token);
        var otherCaller = await soc.IntrospectAsync(token);

        Assert.Multiple(async () =>
        {
            Assert.That(first.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            await AssertOAuthTooManyRequestsAsync(second, "from this caller");
            Assert.That(otherCaller.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        });
    }

    [Test]
    public async Task Revocation_past_an_agents_budget_is_429_but_the_soc_is_never_limited()
    {
        await using var app = DevWith("Revocation", 1);
        using var agent = app.As(BrokerApp.Agent);
        using var soc = app.As(BrokerApp.Soc);

        var first = await agent.RevokeAsync("garbage");
        var second = await agent.RevokeAsync("garbage");
        var bySoc = new List<HttpResponseMessage>();
        for (var i = 0; i < 5; i++)
        {
            bySoc.Add(await soc.RevokeAsync("garbage"));
        }

        Assert.Multiple(async () =>
        {
            Assert.That(first.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            await AssertOAuthTooManyRequestsAsync(second, "from this caller");
            Assert.That(bySoc.Select(r => r.StatusCode), Is.All.EqualTo(HttpStatusCode.OK));
        });
    }

    [Test]
    public async Task The_socs_bulk_revocations_are_admitted_whatever_the_limits()
    {
        await using var app = BrokerApp.Dev();
        foreach (var limit in (string[])["Issuance", "Exchange", "TaskExchange", "Introspection", "Revocation", "Transmitter"])
        {
            Limit(app, limit, 1);
        }

        using var soc = app.As(BrokerApp.Soc);
        var accepted = new List<HttpResponseMessage>();
        for (var i = 0; i < 10; i++)
        {
            accepted.Add(await soc.BulkRevokeAsync($$"""{"selector": {"workload": "{{app.Trust.Id($"/agents/bot-{i}")}}"}, "reason": "contain"}"""));
        }

        Assert.That(accepted.Select(r => r.StatusCode), Is.All.EqualTo(HttpStatusCode.Accepted));
    }
}
