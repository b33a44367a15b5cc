using System.Net;

namespace CredentialBroker.Server.Tests.RateLimiting;

/// <summary>
/// The limits that protect Redis are kept in Redis: two broker replicas on one redis-server draw on one budget per caller
/// and per task, so a caller cannot multiply its rate by spreading requests over replicas. (Redis keeps the time of these
/// buckets, so refills are tested on the in-process bucket; here the period is long enough that none happens.)
/// </summary>
public sealed class SharedRateLimitTests
{
    [Test]
    public async Task Two_replicas_share_one_exchange_budget_per_caller()
    {
        await using var first = BrokerApp.Redis();
        RateLimitTests.Limit(first, "Exchange", 2);
        await using var second = first.Replica();
        using var orchestrator = first.As(BrokerApp.Orchestrator);
        var (_, token, _) = await orchestrator.CreateTaskOkAsync(first.AgentId);
        var (_, otherToken, _) = await orchestrator.CreateTaskOkAsync(first.Trust.Id(BrokerApp.OtherAgent));

        var onFirst = await first.As(BrokerApp.Agent).AccessTokenAsync(token);
        var onSecond = await second.As(BrokerApp.Agent).AccessTokenAsync(token);
        var pastBudgetOnFirst = await first.As(BrokerApp.Agent).AccessTokenAsync(token);
        var otherCallerOnSecond = await second.As(BrokerApp.OtherAgent).AccessTokenAsync(otherToken);

        Assert.Multiple(async () =>
        {
            Assert.That(onFirst.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(onSecond.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            await RateLimitTests.AssertOAuthTooManyRequestsAsync(pastBudgetOnFirst, "from this caller");
            Assert.That(otherCallerOnSecond.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        });
    }

    [Test]
    public async Task Two_replicas_share_one_exchange_budget_per_task()
    {
        await using var first = BrokerApp.Redis();
        RateLimitTests.Limit(first, "TaskExchange", 2);
        await using var second = first.Replica();
        using var orchestrator = first.As(BrokerApp.Orchestrator);
        var (_, token, _) = await orchestrator.CreateTaskOkAsync(first.AgentId);
        var (_, otherTask, _) = await orchestrator.CreateTaskOkAsync(first.AgentId);

        var onFirst = await first.As(BrokerApp.Agent).AccessTokenAsync(token);
        var onSecond = await second.As(BrokerApp.Agent).AccessTokenAsync(token);
        var pastBudgetOnSecond = await second.As(BrokerApp.Agent).AccessTokenAsync(token);
        var otherTaskOnFirst = await first.As(BrokerApp.Agent).AccessTokenAsync(otherTask);

        Assert.Multiple(async () =>
        {
            Assert.That(onFirst.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(onSecond.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            await RateLimitTests.AssertOAuthTooManyRequestsAsync(pastBudgetOnSecond, "for this task");
            Assert.That(otherTaskOnFirst.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        });
    }

    [Test]
    public async Task Two_replicas_share_one_issuance_budget_per_orchestrator()
    {
        await using var first = BrokerApp.Redis();
        RateLimitTests.Limit(first, "Issuance", 1);
        await using var second = first.Replica();

        var onFirst = await first.As(BrokerApp.Orchestrator).CreateTaskAsync(Api.TaskBody(first.AgentId));
        var onSecond = await second.As(BrokerApp.Orchestrator).CreateTaskAsync(Api.TaskBody(first.AgentId));
        var otherOnSecond = await second.As(BrokerApp.OtherOrchestrator).CreateTaskAsync(Api.TaskBody(first.AgentId));

        Assert.Multiple(() =>
        {
            Assert.That(onFirst.StatusCode, Is.EqualTo(HttpStatusCode.Created));
            Assert.That(onSecond.StatusCode, Is.EqualTo(HttpStatusCode.TooManyRequests));
            Assert.That(onSecond.Headers.RetryAfter?.Delta, Is.Not.Null.And.InRange(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30)));
            Assert.That(otherOnSecond.StatusCode, Is.EqualTo(HttpStatusCode.Created));
        });
    }

    /// <summary>A broker on Redis whose issuance budget is a burst of 40 and 40 an hour: replicas take batches of 4, which lapse after 6 minutes.</summary>
    private static BrokerApp BatchesOfFour()
    {
        var app = BrokerApp.Redis();
        app.Settings["CredentialBroker:RateLimits:Issuance:TokenLimit"] = "40";
        app.Settings["CredentialBroker:RateLimits:Issuance:TokensPerPeriod"] = "40";
        app.Settings["CredentialBroker:RateLimits:Issuance:ReplenishmentPeriod"] = "01:00:00";
        return app;
    }

    [Test]
    public async Task Replicas_taking_permits_in_batches_admit_exactly_the_shared_budget_and_no_more()
    {
        // A burst of 40 and a refill far away: each replica takes batches of 4 permits from Redis and spends them locally.
        await using var first = BatchesOfFour();
        await using var second = first.Replica();
        using var onFirst = first.As(BrokerApp.Orchestrator);
        using var onSecond = second.As(BrokerApp.Orchestrator);

        async Task<List<HttpStatusCode>> CreateAsync(HttpClient client, int count)
        {
            var statuses = new List<HttpStatusCode>();
            for (var i = 0; i < count; i++)
            {
                statuses.Add((await client.CreateTaskAsync(Api.TaskBody(first.AgentId))).StatusCode);
            }

            return statuses;
        }

        var firstBatch = await CreateAsync(onFirst, 1);   // takes 4 from the shared 40, spends 1
        var secondAll = await CreateAsync(onSecond, 37); // the 36 left in Redis, then refused
        var firstRest = await CreateAsync(onFirst, 4);   // the 3 it holds, then refused

        Assert.Multiple(() =>
        {
            Assert.That(firstBatch, Is.EqualTo(new[] { HttpStatusCode.Created }));
            Assert.That(secondAll.Count(s => s == HttpStatusCode.Created), Is.EqualTo(36));
            Assert.That(secondAll[^1], Is.EqualTo(HttpStatusCode.TooManyRequests));
            Assert.That(firstRest, Is.EqualTo(new[] { HttpStatusCode.Created, HttpStatusCode.Created, HttpStatusCode.Created, HttpStatusCode.TooManyRequests }));
        });
    }
    [Test]
    public async Task A_replicas_unspent_batch_lapses_after_the_time_the_bucket_needs_to_refill_it_and_goes_back_to_the_bucket()
    {
        // A burst of 40 and 40 an hour: batches of 4, and a batch's refill time is 3,600 s × 4 / 40 = 6 minutes.
        await using var first = BatchesOfFour();
        await using var second = first.Replica();
        using var onFirst = first.As(BrokerApp.Orchestrator);
        using var onSecond = second.As(BrokerApp.Orchestrator);

        async Task<HttpStatusCode> CreateAsync(HttpClient client) => (await client.CreateTaskAsync(Api.TaskBody(first.AgentId))).StatusCode;

        var taken = await CreateAsync(onFirst);                  // takes 4 from the shared 40, holds 3
        var drained = new List<HttpStatusCode>();
        for (var i = 0; i < 37; i++)
        {
            drained.Add(await CreateAsync(onSecond));            // the 36 left in Redis, then refused: the first replica holds 3
        }

        first.Time.Advance(TimeSpan.FromMinutes(6) - TimeSpan.FromSeconds(1));
        var heldUntilTheRefillTime = await CreateAsync(onFirst); // still held: spends one of the 3
        first.Time.Advance(TimeSpan.FromSeconds(1));
        var afterTheLapse = new List<HttpStatusCode>();
        for (var i = 0; i < 3; i++)
        {
            afterTheLapse.Add(await CreateAsync(onFirst));       // the 2 that lapsed went back to Redis and are taken again; then none
        }

        Assert.Multiple(() =>
        {
            Assert.That(taken, Is.EqualTo(HttpStatusCode.Created));
            Assert.That(drained.Take(36), Is.All.EqualTo(HttpStatusCode.Created));
            Assert.That(drained[^1], Is.EqualTo(HttpStatusCode.TooManyRequests), "held by the other replica until it lapses");
            Assert.That(heldUntilTheRefillTime, Is.EqualTo(HttpStatusCode.Created));
            Assert.That(afterTheLapse, Is.EqualTo(new[] { HttpStatusCode.Created, HttpStatusCode.Created, HttpStatusCode.TooManyRequests }), "40 in all, not one more");
        });
    }

    [Test]
    public async Task Requests_spread_over_replicas_slower_than_a_batch_lapses_are_charged_one_permit_each_not_a_batch()
    {
        // A burst of 40 and 40 an hour (batches of 4 lapsing after 6 minutes); one request every 6 minutes, alternating
        // replicas, so every batch lapses with 3 unspent. The caller gets its 40, and the 41st is refused.
        await using var first = BatchesOfFour();
        await using var second = first.Replica();

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 41; i++)
        {
            using var orchestrator = (i % 2 == 0 ? first : second).As(BrokerApp.Orchestrator); // an SVID of the (fake) hour
            statuses.Add((await orchestrator.CreateTaskAsync(Api.TaskBody(first.AgentId))).StatusCode);
            first.Time.Advance(TimeSpan.FromMinutes(6));
        }

        Assert.Multiple(() =>
        {
            Assert.That(statuses.Take(40), Is.All.EqualTo(HttpStatusCode.Created), "each request cost one permit of the 40");
            Assert.That(statuses[^1], Is.EqualTo(HttpStatusCode.TooManyRequests), "and the budget still holds");
        });
    }
}
