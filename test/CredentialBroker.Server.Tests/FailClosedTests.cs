using System.Net;
using CredentialBroker.Testing;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;

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

        var connection = app.Services.GetRequiredService<IConnectionMultiplexer>();
        var restored = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        connection.ConnectionRestored += (_, _) => restored.TrySetResult();
        await redis.StartAsync();
        await restored.Task.WaitAsync(TimeSpan.FromSeconds(30));

        var again = await orchestrator.CreateTaskAsync(Api.TaskBody(app.AgentId));
        Assert.That(again.StatusCode, Is.EqualTo(HttpStatusCode.Created));
    }
}
