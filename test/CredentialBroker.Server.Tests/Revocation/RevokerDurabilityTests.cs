using System.Diagnostics.Metrics;
using System.Net;
using CredentialBroker.Abstractions;
using CredentialBroker.Abstractions.Revocation;
using CredentialBroker.Abstractions.Storage;
using CredentialBroker.Abstractions.Tasks;
using CredentialBroker.Core;
using CredentialBroker.Core.Revocation;
using CredentialBroker.Core.Tasks;
using CredentialBroker.EmbeddedStore;
using CredentialBroker.Redis;
using CredentialBroker.Revoker;
using CredentialBroker.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace CredentialBroker.Server.Tests.Revocation;

/// <summary>
/// The revoker against a real Redis with several broker hosts: nothing missed, nothing harmful doubled, nothing lost to a
/// crash or a restart. On a single server, and on a Redis Cluster (three primaries, three replicas; writes confirmed on a
/// replica) where the work queue, the expiry index and the feed are spread over the primaries.
/// </summary>
[TestFixture(false)]
[TestFixture(true)]
public sealed class RevokerDurabilityTests(bool cluster) : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private string _redis = null!;
    private BrokerApp _a = null!;
    private BrokerApp? _b;

    [SetUp]
    public async Task SetUpAsync()
    {
        _redis = cluster ? (await RedisFixture.ClusterAsync()).ConnectionString : RedisFixture.Server.ConnectionString;
        _a = Redis();

        // Short leases so a dead replica's work is taken over within the test.
        _a.Settings["CredentialBroker:Revoker:Lease"] = "00:00:02";
        _a.Settings["CredentialBroker:Revoker:WorkPollInterval"] = "00:00:00.250";
    }

    private BrokerApp Redis()
    {
        var app = BrokerApp.Redis(_redis);
        if (cluster)
        {
            app.Settings["CredentialBroker:Redis:WaitForReplicas"] = "1";
            app.Settings["CredentialBroker:Redis:ReplicaWaitTimeout"] = "00:00:05"; // a loaded CI machine: seconds, not the default half second
        }

        return app;
    }

    private BrokerApp B => _b ??= _a.Replica();

    public void Dispose()
    {
        _a?.Dispose();
        _b?.Dispose();
    }

    private static async Task<TaskView> TaskAsync(BrokerApp app, string taskId) =>
        (await app.Services.GetRequiredService<ICredentialStore>().GetTaskAsync(taskId, CancellationToken.None))!;

    [Test]
    public async Task Two_hosts_finish_every_completion_exactly_once_in_effect()
    {
        _ = B.Server;
        await using var feed = _a.FollowFeed();
        using var processed = new ProcessedSignal(_a, B);
        var tasks = new List<(string TaskId, string Token, string Jti)>();
        for (var i = 0; i < 20; i++)
        {
            tasks.Add(await (i % 2 == 0 ? _a : B).As(BrokerApp.Orchestrator).CreateTaskOkAsync(_a.AgentId));
        }

        await Task.WhenAll(tasks.Select((t, i) => (i % 2 == 0 ? B : _a).As(BrokerApp.Orchestrator).ChangeStateAsync(t.TaskId, "completed")));
        var events = await feed.WaitForRevokedAsync(tasks.Select(t => t.Jti), Patience);

        // The feed entry is the delivery; the outcome is recorded just after it.
        await processed.WaitForAsync(20, Patience);
        var views = await Task.WhenAll(tasks.Select(t => TaskAsync(_a, t.TaskId)));
        var pending = await Task.WhenAll(tasks.Select(t => _a.Services.GetRequiredService<IRevokerStore>().GetPendingAsync(t.TaskId, CancellationToken.None).AsTask()));

        Assert.Multiple(() =>
        {
            Assert.That(views.Select(v => v.Credentials.Single().Downstream?.RevokedAt), Is.All.Not.Null);
            Assert.That(views.Select(v => v.Credentials.Single().Downstream!.Irrevocable), Is.All.False);
            Assert.That(pending.SelectMany(p => p), Is.Empty);
            Assert.That(events.Where(e => e.Name == "revoked").Select(e => (string)e.Data["jti"]!).Distinct().Count(), Is.EqualTo(20));
        });
    }

    [Test]
    public async Task Two_hosts_sweep_every_expiry_and_a_credential_is_expired_once()
    {
        _ = B.Server;
        await using var feed = _a.FollowFeed();
        using var processed = new ProcessedSignal(_a, B);
        var tasks = new List<(string TaskId, string Token, string Jti)>();
        for (var i = 0; i < 20; i++)
        {
            tasks.Add(await _a.As(BrokerApp.Orchestrator).CreateTaskOkAsync(_a.AgentId, ttlSeconds: 30));
        }

        _a.Time.Advance(TimeSpan.FromSeconds(31));
        var events = await feed.WaitForRevokedAsync(tasks.Select(t => t.Jti), Patience);
        await processed.WaitForAsync(20, Patience); // the feed entry is the delivery; the outcome is recorded just after it
        var views = await Task.WhenAll(tasks.Select(t => TaskAsync(_a, t.TaskId)));

        Assert.Multiple(() =>
        {
            Assert.That(events.Where(e => e.Name == "revoked").Select(e => (string?)e.Data["reason"]), Is.All.EqualTo("ttl_expired"));
            Assert.That(views.Select(v => v.Credentials.Single().ExpiryProcessedAt), Is.All.EqualTo(views[0].Credentials.Single().ExpiresAt.AddSeconds(1)));
            Assert.That(views.Select(v => v.Credentials.Single().Downstream?.RevokedAt), Is.All.Not.Null);
        });
    }

    [Test]
    public async Task Work_a_dead_replica_took_is_finished_by_the_other_after_the_lease()
    {
        var (taskId, _, jti) = await _a.As(BrokerApp.Orchestrator).CreateTaskOkAsync(_a.AgentId);
        _a.Stop(); // no broker runs now

        // A replica that completes the task and dies mid-fan-out: the revocation is recorded, the work taken, never acknowledged.
        await using var connection = await ConnectionMultiplexer.ConnectAsync(_redis);
        var context = RedisContext.Create(connection, new RedisStoreOptions { KeyPrefix = _a.KeyPrefix }, new CredentialBrokerOptions { Issuer = BrokerApp.TestIssuer }, _a.Time);
        var dying = new RedisCredentialStore(context);
        var completion = await dying.ChangeStateAsync(new StateChangeRequest(taskId, TaskState.Completed, TaskStateMachine.SourcesOf(TaskState.Completed),
            _a.Time.GetUtcNow(), null, Enum.GetValues<CredentialKind>(), RevocationReasons.TaskCompleted, TestAudit.For(taskId)), CancellationToken.None);
        var taken = await new RedisRevokerStore(context).TakeWorkAsync("replica-that-dies", 100, TimeSpan.FromHours(1), CancellationToken.None);

        // The other replica takes the work over once the lease has run out.
        using var processed = new ProcessedSignal(B);
        await using var feed = B.FollowFeed();
        try
        {
            await feed.WaitForRevokedAsync([jti], Patience);
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException(ex.Message + "\nreplica B logged:\n" + string.Join('\n', B.Logs.GetSnapshot()
                .Where(r => r.Level >= Microsoft.Extensions.Logging.LogLevel.Warning).Select(r => $"{r.Category}: {r.Message} {r.Exception}")), ex);
        }
        await processed.WaitForAsync(1, Patience); // the feed entry is the delivery; the outcome is recorded just after it
        var view = await TaskAsync(B, taskId);

        Assert.Multiple(() =>
        {
            Assert.That(completion.Revoked, Is.EqualTo(1));
            Assert.That(taken.Select(w => w.TaskId), Has.Member(taskId));
            Assert.That(view.Credentials.Single().Downstream!.RevokedAt, Is.Not.Null);
        });
    }

    [Test]
    public async Task Credentials_that_expired_while_every_replica_was_down_are_revoked_soon_after_the_first_start()
    {
        var tasks = new List<(string TaskId, string Token, string Jti)>();
        for (var i = 0; i < 10; i++)
        {
            tasks.Add(await _a.As(BrokerApp.Orchestrator).CreateTaskOkAsync(_a.AgentId, ttlSeconds: 30));
        }

        _a.Stop();                                  // every replica down ...
        _a.Time.Advance(TimeSpan.FromMinutes(5));   // ... while the credentials expire

        var started = TimeProvider.System.GetTimestamp();
        await using var feed = B.FollowFeed();
        await feed.WaitForRevokedAsync(tasks.Select(t => t.Jti), Patience);
        var elapsed = TimeProvider.System.GetElapsedTime(started);

        Assert.That(elapsed, Is.LessThan(TimeSpan.FromSeconds(10)), $"revoked {elapsed.TotalSeconds:0.0} s after the restart");
    }

    [Test]
    public async Task A_downstream_that_always_fails_surfaces_as_irrevocable_until_the_soc_resolves_it()
    {
        using var app = Redis();
        app.Settings["CredentialBroker:Revoker:DownstreamAttempts"] = "2";
        app.TestServices = services => services.AddSingleton<IDownstreamRevoker>(new AlwaysFailing());
        using var irrevocableCount = new MetricCollector<long>(app.Services.GetRequiredService<IMeterFactory>(), RevokerMetrics.MeterName, "credentialbroker.revocation.irrevocable");
        var (taskId, token, _) = await app.As(BrokerApp.Orchestrator).CreateTaskOkAsync(app.AgentId);
        var access = (string)(await (await app.As(BrokerApp.Agent).AccessTokenAsync(token)).JsonAsync())["access_token"]!;
        var accessJti = (string)JwtParts.Payload(access)["jti"]!;

        await app.As(BrokerApp.Orchestrator).ChangeStateAsync(taskId, "completed");
        await irrevocableCount.WaitForMeasurementsAsync(1, Patience);
        var irrevocable = (await TaskAsync(app, taskId)).Credentials.Single(c => c.Jti == accessJti);
        var metrics = await app.CreateClient().GetStringAsync("/metrics");
        var resolved = await app.As(BrokerApp.Soc).PostAsync($"/v1/tasks/{taskId}/credentials/{accessJti}/resolve", Api.Json("""{"note": "database user dropped by hand"}"""));
        var again = await app.As(BrokerApp.Soc).PostAsync($"/v1/tasks/{taskId}/credentials/{accessJti}/resolve", Api.Json("""{"note": "again"}"""));
        var byAgent = await app.As(BrokerApp.Agent).PostAsync($"/v1/tasks/{taskId}/credentials/{accessJti}/resolve", Api.Json("""{"note": "me"}"""));

        Assert.Multiple(async () =>
        {
            Assert.That(irrevocable.Downstream!.Irrevocable, Is.True);
            Assert.That(irrevocable.Downstream.Attempts, Is.EqualTo(2));
            Assert.That(irrevocable.Downstream.LastError, Does.Contain("provider unreachable"));
            Assert.That(metrics, Does.Contain("credentialbroker_revocation_irrevocable"));
            Assert.That(resolved.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That((string?)(await resolved.JsonAsync())["downstream"]!["resolvedBy"], Is.EqualTo(app.Trust.Id(BrokerApp.Soc)));
            Assert.That(again.StatusCode, Is.EqualTo(HttpStatusCode.Conflict));
            Assert.That(byAgent.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        });
    }

    [Test]
    public async Task Pausing_kills_access_tokens_but_keeps_the_task_token_and_resuming_allows_new_ones()
    {
        var orchestrator = _a.As(BrokerApp.Orchestrator);
        var agent = _a.As(BrokerApp.Agent);
        var (taskId, token, _) = await orchestrator.CreateTaskOkAsync(_a.AgentId);
        await orchestrator.ChangeStateAsync(taskId, "running");
        var access = (string)(await (await agent.AccessTokenAsync(token)).JsonAsync())["access_token"]!;

        var paused = await orchestrator.ChangeStateAsync(taskId, "paused");
        var whilePaused = await agent.AccessTokenAsync(token);
        await orchestrator.ChangeStateAsync(taskId, "running");
        var afterResume = await agent.AccessTokenAsync(token);
        var soc = _a.As(BrokerApp.Soc);

        Assert.Multiple(async () =>
        {
            Assert.That((int?)(await paused.JsonAsync())["revoked"], Is.EqualTo(1));
            Assert.That((bool?)(await soc.IntrospectJsonAsync(access))["active"], Is.False);
            Assert.That((bool?)(await soc.IntrospectJsonAsync(token))["active"], Is.True);
            Assert.That((string?)(await whilePaused.JsonAsync())["error"], Is.EqualTo("invalid_grant"));
            Assert.That(afterResume.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        });
    }

    private sealed class AlwaysFailing : IDownstreamRevoker
    {
        public bool IsResponsibleFor(CredentialRecord credential) => credential.Kind == CredentialKind.AccessToken;

        public ValueTask RevokeAsync(CredentialRecord credential, CancellationToken cancellationToken) => throw new InvalidOperationException("provider unreachable");

        public ValueTask<bool> VerifyAsync(CredentialRecord credential, CancellationToken cancellationToken) => ValueTask.FromResult(false);
    }
}
