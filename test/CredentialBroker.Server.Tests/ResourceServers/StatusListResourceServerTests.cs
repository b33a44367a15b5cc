using System.Security.Cryptography.X509Certificates;
using CredentialBroker.Client.ResourceServers;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace CredentialBroker.Server.Tests.ResourceServers;

/// <summary>
/// The resource-server library reading Token Status Lists instead of following the feed: it accepts a live token, refuses a
/// revoked one once the lists' ttl has passed, and refuses everything once it cannot fetch a list past that list's exp.
/// The broker and the resource server share one fake clock.
/// </summary>
public sealed class StatusListResourceServerTests : IDisposable
{
    private readonly BrokerApp _broker = BrokerApp.Redis();
    private readonly X509Certificate2 _agentCertificate;

    public StatusListResourceServerTests() => _agentCertificate = _broker.Trust.X509Svid(BrokerApp.Agent);

    public void Dispose()
    {
        _agentCertificate.Dispose();
        _broker.Dispose();
    }

    private Task<ResourceServer> StartAsync() => ResourceServer.StartAsync(
        _broker, options => options.RevocationCheck = BrokerRevocationCheck.StatusList, services => services.AddSingleton<TimeProvider>(_broker.Time));

    private async Task<(string TaskId, string AccessToken)> AccessTokenAsync()
    {
        var (taskId, taskToken, _) = await _broker.As(BrokerApp.Orchestrator).CreateTaskOkAsync(_broker.AgentId);
        var response = await _broker.As(BrokerApp.Agent).AccessTokenAsync(taskToken, ResourceServer.Audience);
        response.EnsureSuccessStatusCode();
        return (taskId, (string)(await response.JsonAsync())["access_token"]!);
    }

    [Test]
    public async Task A_live_token_is_accepted_and_a_revoked_one_refused_once_the_lists_ttl_has_passed()
    {
        await using var server = await StartAsync();
        using var checks = new MetricCollector<long>(server.Services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), "CredentialBroker.Client", "credentialbroker.client.token_checks");
        var (taskId, revoked) = await AccessTokenAsync();
        var (_, live) = await AccessTokenAsync();

        var before = await server.GetAsync(revoked, _agentCertificate);
        (await _broker.As(BrokerApp.Orchestrator).ChangeStateAsync(taskId, "completed")).EnsureSuccessStatusCode();
        _broker.Time.Advance(TimeSpan.FromSeconds(30));
        var after = await server.GetAsync(revoked, _agentCertificate);
        var sibling = await server.GetAsync(live, _agentCertificate);

        Assert.Multiple(() =>
        {
            Assert.That(before.Status, Is.EqualTo(StatusCodes.Status200OK));
            Assert.That(after.Status, Is.EqualTo(StatusCodes.Status401Unauthorized));
            Assert.That(after.Challenge, Does.Contain("revoked"));
            Assert.That(sibling.Status, Is.EqualTo(StatusCodes.Status200OK));
            Assert.That(checks.GetMeasurementSnapshot().Select(m => $"{m.Tags["outcome"]}/{m.Tags["via"]}"),
                Is.EqualTo(new[] { "accepted/status_list", "revoked/status_list", "accepted/status_list" }));
            Assert.That(server.Feed.IsCurrent, Is.False, "the feed is not followed");
        });
    }

    [Test]
    public async Task A_list_that_cannot_be_fetched_serves_until_its_exp_and_then_every_token_is_refused()
    {
        await using var server = await StartAsync();
        var (_, token) = await AccessTokenAsync();
        var fetched = await server.GetAsync(token, _agentCertificate);

        server.StatusListsBlocked = true;
        _broker.Time.Advance(TimeSpan.FromSeconds(60));
        var stale = await server.GetAsync(token, _agentCertificate);
        _broker.Time.Advance(TimeSpan.FromMinutes(5));
        var expired = await server.GetAsync(token, _agentCertificate);
        server.StatusListsBlocked = false;
        var recovered = await server.GetAsync(token, _agentCertificate);

        Assert.Multiple(() =>
        {
            Assert.That(fetched.Status, Is.EqualTo(StatusCodes.Status200OK));
            Assert.That(stale.Status, Is.EqualTo(StatusCodes.Status200OK), "past its ttl, the copy still serves until its exp");
            Assert.That(expired.Status, Is.EqualTo(StatusCodes.Status401Unauthorized), "fail closed");
            Assert.That(expired.Challenge, Does.Contain("status list cannot be fetched"));
            Assert.That(recovered.Status, Is.EqualTo(StatusCodes.Status200OK));
        });
    }
}
