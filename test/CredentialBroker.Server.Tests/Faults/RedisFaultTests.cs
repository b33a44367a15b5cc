using System.Net;
using CredentialBroker.Testing;

namespace CredentialBroker.Server.Tests.Faults;

/// <summary>
/// Faults of a real redis-server process under the broker: frozen (<c>SIGSTOP</c>), killed and restarted while a request
/// is in flight, configured to evict. Each fault is checked beside the healthy state it leaves or returns to.
/// </summary>
public sealed class RedisFaultTests
{
    // The chart's readiness probe gives up after 2 s (values.yaml probes.readiness.timeoutSeconds): a probe is a request
    // with that timeout, as the kubelet sends it.
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(2);

    private static HttpClient Probe(BrokerApp app)
    {
        var client = app.CreateClient();
        client.Timeout = ProbeTimeout;
        return client;
    }

    private static Task WaitUntilReadyAsync(BrokerApp app) =>
        Poll.UntilAsync(async () => (await app.CreateClient().GetAsync("/readyz")).StatusCode == HttpStatusCode.OK, TimeSpan.FromSeconds(30), "the broker is ready again");

    [Test]
    public async Task Readiness_answers_503_within_the_probe_timeout_while_redis_is_frozen_and_200_once_it_thaws()
    {
        await using var redis = await RedisServer.StartPrivateAsync();
        await using var app = BrokerApp.Redis(redis.ConnectionString);
        using var probe = Probe(app);
        var before = await probe.GetAsync("/readyz");

        redis.Pause();
        HttpResponseMessage first, second;
        try
        {
            first = await probe.GetAsync("/readyz");
            second = await probe.GetAsync("/readyz");
        }
        finally
        {
            redis.Resume();
        }

        await WaitUntilReadyAsync(app);
        Assert.Multiple(async () =>
        {
            Assert.That(before.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(first.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable), "the first probe after the freeze, within the probe's timeout");
            Assert.That(first.Headers.RetryAfter, Is.Not.Null);
            Assert.That(await first.Content.ReadAsStringAsync(), Does.Contain("did not answer within 1000 ms"));
            Assert.That(second.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
            Assert.That((await probe.GetAsync("/readyz")).StatusCode, Is.EqualTo(HttpStatusCode.OK));
        });
    }

    [Test]
    public async Task A_task_requested_while_redis_is_frozen_fails_closed_and_the_same_request_after_the_thaw_is_issued()
    {
        await using var redis = await RedisServer.StartPrivateAsync();
        await using var app = BrokerApp.Redis(redis.ConnectionString);
        app.Settings["CredentialBroker:Redis:OperationTimeout"] = "00:00:01";
        using var orchestrator = app.As(BrokerApp.Orchestrator);
        await orchestrator.CreateTaskOkAsync(app.AgentId);

        redis.Pause();
        HttpResponseMessage frozen;
        try
        {
            frozen = await orchestrator.CreateTaskAsync(Api.TaskBody(app.AgentId), idempotencyKey: "frozen-1");
        }
        finally
        {
            redis.Resume();
        }

        await WaitUntilReadyAsync(app);
        var thawed = await orchestrator.CreateTaskAsync(Api.TaskBody(app.AgentId), idempotencyKey: "frozen-1");
        Assert.Multiple(async () =>
        {
            Assert.That(frozen.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
            Assert.That(frozen.Headers.RetryAfter, Is.Not.Null);
            Assert.That(await frozen.Content.ReadAsStringAsync(), Does.Not.Contain("eyJ"), "no token was handed out");
            Assert.That(thawed.StatusCode, Is.EqualTo(HttpStatusCode.Created));
        });
    }

    [Test]
    public async Task Redis_killed_and_restarted_under_an_in_flight_request_loses_nothing_that_was_acknowledged()
    {
        // Durable Redis (every write fsynced to its append-only file), as production runs it: what was acknowledged survives the restart.
        await using var redis = await RedisServer.StartPrivateAsync("--appendonly", "yes", "--appendfsync", "always");
        await using var app = BrokerApp.Redis(redis.ConnectionString);
        app.Settings["CredentialBroker:Redis:OperationTimeout"] = "00:00:01";
        using var orchestrator = app.As(BrokerApp.Orchestrator);
        var (_, earlier, _) = await orchestrator.CreateTaskOkAsync(app.AgentId);

        redis.Pause();
        var inFlight = orchestrator.CreateTaskAsync(Api.TaskBody(app.AgentId), idempotencyKey: "in-flight-1");
        await redis.StopAsync(); // SIGKILL of the frozen process: whatever it had not answered is never answered
        await redis.StartAsync();
        var answered = await inFlight;
        await WaitUntilReadyAsync(app);
        var retried = await orchestrator.CreateTaskAsync(Api.TaskBody(app.AgentId), idempotencyKey: "in-flight-1");
        var retriedBody = await retried.JsonAsync();

        Assert.Multiple(async () =>
        {
            Assert.That(answered.StatusCode, Is.AnyOf(HttpStatusCode.ServiceUnavailable, HttpStatusCode.Created));
            if (answered.StatusCode == HttpStatusCode.Created)
            {
                var first = await answered.JsonAsync();
                Assert.That((string?)retriedBody["taskId"], Is.EqualTo((string?)first["taskId"]), "an acknowledged task is found again by its key");
                Assert.That((bool?)(await orchestrator.IntrospectJsonAsync((string)first["token"]!))["active"], Is.True);
            }

            Assert.That(retried.StatusCode, Is.EqualTo(HttpStatusCode.Created));
            Assert.That((bool?)(await orchestrator.IntrospectJsonAsync(earlier))["active"], Is.True, "the task acknowledged before the crash survived it");
        });
    }

    [TestCase("allkeys-lru")]
    [TestCase("volatile-ttl")]
    public async Task A_redis_that_could_evict_records_keeps_the_broker_unready_and_says_why_until_it_is_set_to_noeviction(string policy)
    {
        await using var redis = await RedisServer.StartPrivateAsync("--maxmemory", "64mb", "--maxmemory-policy", policy);
        await using var app = BrokerApp.Redis(redis.ConnectionString);
        using var probe = Probe(app);

        var unready = await probe.GetAsync("/readyz");
        var reason = await unready.Content.ReadAsStringAsync();
        await using (var admin = await RespConnection.ConnectAsync("127.0.0.1", redis.Port))
        {
            await admin.SendAsync("CONFIG", "SET", "maxmemory-policy", "noeviction");
        }

        await WaitUntilReadyAsync(app);
        Assert.Multiple(() =>
        {
            Assert.That(unready.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
            Assert.That(reason, Does.Contain($"maxmemory-policy '{policy}'").And.Contain("noeviction"));
        });
    }
}
