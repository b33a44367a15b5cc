using System.Net;
using CredentialBroker.Testing;

namespace CredentialBroker.Server.Tests.Revocation;

/// <summary>GET /v1/revocations/feed: Server-Sent Events of revoked jtis, resumable, with heartbeats.</summary>
public sealed class RevocationFeedTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);
    private readonly BrokerApp _app = BrokerApp.Redis();

    public RevocationFeedTests() => _app.Settings["CredentialBroker:Feed:HeartbeatInterval"] = "00:00:00.200";

    public void Dispose() => _app.Dispose();

    [Test]
    public async Task Only_resource_servers_and_the_soc_may_follow_the_feed()
    {
        var anonymous = await _app.CreateClient().GetAsync("/v1/revocations/feed");
        var agent = await _app.As(BrokerApp.Agent).GetAsync("/v1/revocations/feed");
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/revocations/feed");
        using var resourceServer = await _app.As(BrokerApp.ResourceServer).SendAsync(request, HttpCompletionOption.ResponseHeadersRead);

        Assert.Multiple(() =>
        {
            Assert.That(anonymous.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
            Assert.That(agent.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
            Assert.That(resourceServer.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(resourceServer.Content.Headers.ContentType!.MediaType, Is.EqualTo("text/event-stream"));
        });
    }

    [Test]
    public async Task A_completed_task_token_appears_on_the_feed_with_its_expiry_and_reason()
    {
        await using var feed = _app.FollowFeed();
        var orchestrator = _app.As(BrokerApp.Orchestrator);
        var (taskId, token, jti) = await orchestrator.CreateTaskOkAsync(_app.AgentId);
        var exp = (long)JwtParts.Payload(token)["exp"]!;

        await orchestrator.ChangeStateAsync(taskId, "completed");
        var events = await feed.WaitForRevokedAsync([jti], Patience);
        var revoked = events.Single(e => e.Name == "revoked");

        Assert.Multiple(() =>
        {
            Assert.That(revoked.Id, Is.Not.Null.And.Not.Empty);
            Assert.That((string?)revoked.Data["jti"], Is.EqualTo(jti));
            Assert.That((long)revoked.Data["exp"]!, Is.EqualTo(exp));
            Assert.That((string?)revoked.Data["taskId"], Is.EqualTo(taskId));
            Assert.That((string?)revoked.Data["reason"], Is.EqualTo("task_completed"));
            Assert.That((string?)revoked.Data["revokedAt"], Does.EndWith("Z"));
        });
    }

    [Test]
    public async Task A_follower_resumes_after_its_last_event_id_and_misses_nothing()
    {
        var orchestrator = _app.As(BrokerApp.Orchestrator);
        var first = await orchestrator.CreateTaskOkAsync(_app.AgentId);
        var second = await orchestrator.CreateTaskOkAsync(_app.AgentId);
        string lastId;
        await using (var feed = _app.FollowFeed())
        {
            await orchestrator.ChangeStateAsync(first.TaskId, "cancelled");
            lastId = (await feed.WaitForRevokedAsync([first.Jti], Patience)).Last(e => e.Name == "revoked").Id!;
        }

        // While nobody follows, the second task completes.
        await orchestrator.ChangeStateAsync(second.TaskId, "completed");
        await using var resumed = _app.FollowFeed(lastId);
        var events = await resumed.WaitForRevokedAsync([second.Jti], Patience);

        Assert.That(events.Where(e => e.Name == "revoked").Select(e => (string?)e.Data["jti"]), Does.Not.Contain(first.Jti));
    }

    [Test]
    public async Task An_idle_feed_sends_heartbeats_naming_the_last_event()
    {
        await using var feed = _app.FollowFeed();
        var events = await feed.WaitForAsync(received => received.Count(e => e.Name == "heartbeat") >= 2, Patience);

        Assert.Multiple(() =>
        {
            Assert.That(events.First(e => e.Name == "heartbeat").Data.ContainsKey("lastEventId"), Is.True);
            Assert.That(events.First(e => e.Name == "heartbeat").Id, Is.Null);
        });
    }

    [Test]
    public async Task A_malformed_last_event_id_is_400() =>
        Assert.That((await _app.As(BrokerApp.ResourceServer).SendAsync(new HttpRequestMessage(HttpMethod.Get, "/v1/revocations/feed") { Headers = { { "Last-Event-ID", "../../etc" } } })).StatusCode,
            Is.EqualTo(HttpStatusCode.BadRequest));
}
