using System.Net;
using CredentialBroker.Testing;

namespace CredentialBroker.Server.Tests;

/// <summary>F1/F2: with Redis stopped mid-test the broker issues nothing and calls nothing active; once Redis is back it serves again.</summary>
public sealed class FailClosedTests
{
    [Test]
    public async Task Redis_stopped_mid_test_means_503_with_retry_after_and_no_token()
    {
        await using var redis = await RedisServer.StartPrivateAsync();
        using var app = BrokerApp.Redis(redis.ConnectionString);
        var orchestrator = app.As(BrokerApp.Orchestrator);
        var (taskId, token, _) = await orchestrator.CreateTaskOkAsync(app.AgentId);
        var readyBefore = await app.CreateClient().GetAsync("/readyz");

        await redis.StopAsync();
        var create = await orchestrator.CreateTaskAsync(Api.TaskBody(app.AgentId));
        var createBody = await create.Content.ReadAsStringAsync();
        var introspect = await orchestrator.IntrospectAsync(token);
        var introspectBody = await introspect.JsonAsync();
        var state = await orchestrator.ChangeStateAsync(taskId, "completed");
        var ready = await app.CreateClient().GetAsync("/readyz");
        var health = await app.CreateClient().GetAsync("/healthz");

        Assert.Multiple(() =>
        {
            Assert.That(readyBefore.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(create.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
            Assert.That(create.Headers.RetryAfter, Is.Not.Null);
            Assert.That(create.Content.Headers.ContentType!.MediaType, Is.EqualTo("application/problem+json"));
            Assert.That(createBody, Does.Not.Contain("token").And.Not.Contain("eyJ"));
            Assert.That(introspect.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
            Assert.That(introspect.Headers.RetryAfter, Is.Not.Null);
            Assert.That((string?)introspectBody["error"], Is.EqualTo("temporarily_unavailable"));
            Assert.That(introspectBody.ContainsKey("active"), Is.False);
            Assert.That(state.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
            Assert.That(ready.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
            Assert.That(health.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        });

        await redis.StartAsync();
        await WaitUntilReadyAsync(app.CreateClient());

        var again = await orchestrator.CreateTaskAsync(Api.TaskBody(app.AgentId));
        Assert.That(again.StatusCode, Is.EqualTo(HttpStatusCode.Created));
    }

    // After an outage the client reconnects and the circuit breaker half-opens after its break; /readyz says when
    // the broker serves again, as it tells Kubernetes. Each probe is a real request the broker answers.
    internal static async Task WaitUntilReadyAsync(HttpClient client)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while ((await client.GetAsync("/readyz", deadline.Token)).StatusCode != HttpStatusCode.OK)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(100), deadline.Token);
        }
    }
}
