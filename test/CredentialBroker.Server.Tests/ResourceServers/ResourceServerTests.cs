using System.Diagnostics;
using System.Security.Cryptography.X509Certificates;
using CredentialBroker.Client.ResourceServers;
using CredentialBroker.Testing;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Time.Testing;

namespace CredentialBroker.Server.Tests.ResourceServers;

/// <summary>
/// The resource-server library against a real broker on a real Redis: it accepts exactly the broker access tokens
/// meant for it and presented by their holder, and refuses a revoked one as soon as the feed brings the revocation —
/// or, while the feed is behind, by introspection; when neither answers, it refuses.
/// </summary>
public sealed class ResourceServerTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private readonly BrokerApp _broker = BrokerApp.Redis();
    private readonly X509Certificate2 _agentCertificate;

    public ResourceServerTests() => _agentCertificate = _broker.Trust.X509Svid(BrokerApp.Agent);

    public void Dispose()
    {
        _agentCertificate.Dispose();
        _broker.Dispose();
    }

    private async Task<(string TaskId, string TaskToken, string AccessToken)> AccessTokenAsync()
    {
        var (taskId, taskToken, _) = await _broker.As(BrokerApp.Orchestrator).CreateTaskOkAsync(_broker.AgentId);
        var response = await _broker.As(BrokerApp.Agent).AccessTokenAsync(taskToken, ResourceServer.Audience);
        response.EnsureSuccessStatusCode();
        return (taskId, taskToken, (string)(await response.JsonAsync())["access_token"]!);
    }

    private static MetricCollector<long> Checks(ResourceServer server) =>
        new(server.Services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), "CredentialBroker.Client", "credentialbroker.client.token_checks");

    private static string[] Outcomes(MetricCollector<long> checks) =>
        [.. checks.GetMeasurementSnapshot().Select(m => $"{m.Tags["outcome"]}/{m.Tags["via"]}")];

    [Test]
    public async Task A_valid_token_is_accepted_and_refused_from_the_moment_the_feed_brings_its_revocation()
    {
        var revoked = new TaskCompletionSource<RevokedCredential>(TaskCreationOptions.RunContinuationsAsynchronously);
        string? watched = null;
        await using var server = await ResourceServer.StartAsync(_broker, options => options.OnRevoked = r =>
        {
            if (r.Jti == Volatile.Read(ref watched))
            {
                revoked.TrySetResult(r);
            }
        });
        using var checks = Checks(server);
        await server.Feed.WhenCurrentAsync(CancellationToken.None).WaitAsync(Patience);
        var (taskId, _, accessToken) = await AccessTokenAsync();
        Volatile.Write(ref watched, (string?)JwtParts.Payload(accessToken)["jti"]);

        var before = await server.GetAsync(accessToken, _agentCertificate);
        var clock = Stopwatch.StartNew();
        (await _broker.As(BrokerApp.Orchestrator).ChangeStateAsync(taskId, "completed")).EnsureSuccessStatusCode();
        var revocation = await revoked.Task.WaitAsync(Patience);
        var lag = clock.Elapsed;
        var after = await server.GetAsync(accessToken, _agentCertificate);
        TestContext.Out.WriteLine($"completion → resource server deny list: {lag.TotalMilliseconds:F1} ms");

        Assert.Multiple(() =>
        {
            Assert.That(before.Status, Is.EqualTo(StatusCodes.Status200OK));
            Assert.That(revocation.Reason, Is.EqualTo("task_completed"));
            Assert.That(after.Status, Is.EqualTo(StatusCodes.Status401Unauthorized));
            Assert.That(after.Challenge, Does.Contain("invalid_token").And.Contain("revoked"));
            Assert.That(Outcomes(checks), Is.EqualTo(new[] { "accepted/feed", "revoked/feed" }), "the feed decided; nothing was introspected");
        });
    }

    [Test]
    public async Task Tokens_not_meant_for_this_server_or_not_presented_by_their_holder_are_refused()
    {
        await using var server = await ResourceServer.StartAsync(_broker);
        await using var otherAudience = await ResourceServer.StartAsync(_broker, options => options.Audience = "postgres://ledger");
        await server.Feed.WhenCurrentAsync(CancellationToken.None).WaitAsync(Patience);
        await otherAudience.Feed.WhenCurrentAsync(CancellationToken.None).WaitAsync(Patience);
        var (_, taskToken, accessToken) = await AccessTokenAsync();
        using var otherAgent = _broker.Trust.X509Svid(BrokerApp.OtherAgent);

        var valid = await server.GetAsync(accessToken, _agentCertificate);
        var stolen = await server.GetAsync(accessToken, otherAgent);
        var noCertificate = await server.GetAsync(accessToken, null);
        var taskTokenInstead = await server.GetAsync(taskToken, _agentCertificate);
        var wrongAudience = await otherAudience.GetAsync(accessToken, _agentCertificate);
        var tampered = await server.GetAsync(accessToken[..^4] + (accessToken[^4..] == "AAAA" ? "BBBB" : "AAAA"), _agentCertificate);

        Assert.Multiple(() =>
        {
            Assert.That(valid.Status, Is.EqualTo(StatusCodes.Status200OK));
            Assert.That(stolen, Is.EqualTo((401, "Bearer error=\"invalid_token\", error_description=\"The token is bound to another workload than the one presenting it.\"")));
            Assert.That(noCertificate.Status, Is.EqualTo(StatusCodes.Status401Unauthorized));
            Assert.That(taskTokenInstead.Status, Is.EqualTo(StatusCodes.Status401Unauthorized), "typ task+jwt is not at+jwt");
            Assert.That(wrongAudience, Is.EqualTo((401, "Bearer error=\"invalid_token\", error_description=\"The token is not meant for this resource (postgres://ledger).\"")));
            Assert.That(tampered.Status, Is.EqualTo(StatusCodes.Status401Unauthorized));
        });
    }

    [Test]
    public async Task While_the_feed_is_unavailable_tokens_are_introspected_and_a_revoked_one_is_refused()
    {
        await using var server = await ResourceServer.StartAsync(_broker, feedBlocked: true);
        using var checks = Checks(server);
        var (_, taskToken, accessToken) = await AccessTokenAsync();

        var before = await server.GetAsync(accessToken, _agentCertificate);
        (await _broker.As(BrokerApp.Agent).RevokeAsync(taskToken)).EnsureSuccessStatusCode();
        var after = await server.GetAsync(accessToken, _agentCertificate);

        Assert.Multiple(() =>
        {
            Assert.That(server.Feed.IsCurrent, Is.False);
            Assert.That(before.Status, Is.EqualTo(StatusCodes.Status200OK));
            Assert.That(after.Status, Is.EqualTo(StatusCodes.Status401Unauthorized));
            Assert.That(Outcomes(checks), Is.EqualTo(new[] { "accepted/introspection", "revoked/introspection" }));
            Assert.That(server.Feed.DenyList.Count, Is.EqualTo(1), "what introspection found revoked is remembered until exp");
        });
    }

    [Test]
    public async Task When_neither_the_feed_nor_introspection_answers_a_valid_token_is_refused()
    {
        await using var server = await ResourceServer.StartAsync(_broker, options => options.CallerToken = _ => ValueTask.FromResult("not-an-svid"));
        using var checks = Checks(server);
        var (_, _, accessToken) = await AccessTokenAsync();

        var response = await server.GetAsync(accessToken, _agentCertificate);

        Assert.Multiple(() =>
        {
            Assert.That(response.Status, Is.EqualTo(StatusCodes.Status401Unauthorized));
            Assert.That(response.Challenge, Does.Contain("cannot be checked"));
            Assert.That(Outcomes(checks), Is.EqualTo(new[] { "unverified/introspection" }));
        });
    }

    [Test]
    public async Task A_feed_without_heartbeats_for_longer_than_its_staleness_limit_falls_back_to_introspection()
    {
        _broker.Settings["CredentialBroker:Feed:HeartbeatInterval"] = "01:00:00"; // one heartbeat on catching up, then silence
        var time = new FakeTimeProvider(TimeProvider.System.GetUtcNow());
        await using var server = await ResourceServer.StartAsync(_broker, services: s => s.AddSingleton<TimeProvider>(time));
        using var checks = Checks(server);
        await server.Feed.WhenCurrentAsync(CancellationToken.None).WaitAsync(Patience);
        var (_, _, accessToken) = await AccessTokenAsync();

        var whileCurrent = await server.GetAsync(accessToken, _agentCertificate);
        time.Advance(TimeSpan.FromSeconds(15));
        var onceStale = await server.GetAsync(accessToken, _agentCertificate);

        Assert.Multiple(() =>
        {
            Assert.That(whileCurrent.Status, Is.EqualTo(StatusCodes.Status200OK));
            Assert.That(onceStale.Status, Is.EqualTo(StatusCodes.Status200OK));
            Assert.That(server.Feed.IsCurrent, Is.False);
            Assert.That(Outcomes(checks), Is.EqualTo(new[] { "accepted/feed", "accepted/introspection" }));
        });
    }
}
