using CredentialBroker.Testing;
using CredentialBroker.Abstractions.Revocation;
using CredentialBroker.Abstractions.Storage;
using CredentialBroker.Abstractions.Tasks;
using CredentialBroker.Core.Revocation;
using CredentialBroker.Core.Tasks;
using CredentialBroker.EmbeddedStore;
using CredentialBroker.Revoker;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging;

namespace CredentialBroker.Core.Tests.Revocation;

/// <summary>The revoker's logic on the embedded store with a fake clock: every trigger reaches the feed and the downstream provider, nothing is dropped.</summary>
public sealed class RevokerTests : IDisposable
{
    private readonly RevokerHarness _harness;
    private readonly FlakyDownstream _secrets = new(CredentialKind.AccessToken, failures: 0);

    public RevokerTests() => _harness = new RevokerHarness(_secrets);

    public void Dispose() => _harness.Dispose();

    private CoreHarness Core => _harness.Core;

    private async Task<(string TaskId, string Token, string Jti)> NewTaskAsync(TimeSpan? ttl = null)
    {
        var issued = await Core.IssueAsync(CoreHarness.Draft(ttl));
        return (issued.Task!.TaskId, issued.Token!, issued.Credential!.Jti);
    }

    private async Task<CredentialRecord> CredentialAsync(string taskId, string jti) =>
        (await Core.Store.GetCredentialAsync(taskId, jti, CancellationToken.None))!.Credential;

    private async Task<IReadOnlyList<RevocationEvent>> FeedAsync() => await _harness.Feed.ReadAsync(null, 1000, CancellationToken.None);

    [Test]
    public async Task A_completed_task_reaches_the_feed_and_is_verified_dead()
    {
        using var lag = new MetricCollector<double>(_harness.MeterFactory, RevokerMetrics.MeterName, "credentialbroker.revocation.lag");
        var (taskId, _, jti) = await NewTaskAsync();
        await Core.Tasks.ChangeStateAsync(CoreHarness.Orchestrator, taskId, TaskState.Completed, null, CancellationToken.None);
        Core.Time.Advance(TimeSpan.FromMilliseconds(40));

        var finished = await _harness.Worker.DrainAsync(CancellationToken.None);
        var credential = await CredentialAsync(taskId, jti);
        var feed = await FeedAsync();

        Assert.Multiple(async () =>
        {
            Assert.That(Core.Signal.Count, Is.EqualTo(1), "the revoker was told at once");
            Assert.That(finished, Is.EqualTo(1));
            Assert.That(feed.Select(e => (e.Jti, e.TaskId, e.Reason)), Is.EqualTo(new[] { (jti, taskId, RevocationReasons.TaskCompleted) }));
            Assert.That(feed[0].ExpiresAt, Is.EqualTo(credential.ExpiresAt));
            Assert.That(credential.Downstream!.RevokedAt, Is.EqualTo(credential.RevokedAt!.Value.AddMilliseconds(40)));
            Assert.That(credential.Downstream.VerifiedAt, Is.Not.Null);
            Assert.That(credential.Downstream.Irrevocable, Is.False);
            Assert.That(await _harness.Store.GetPendingAsync(taskId, CancellationToken.None), Is.Empty);
            Assert.That(lag.GetMeasurementSnapshot().Select(m => m.Tags["stage"]), Is.EquivalentTo(new[] { "recorded", "downstream", "verified" }));
            Assert.That(lag.GetMeasurementSnapshot().Single(m => (string?)m.Tags["stage"] == "downstream").Value, Is.EqualTo(0.04).Within(0.0001));
        });
    }

    [Test]
    public async Task A_ttl_expiry_is_swept_once_and_finished_by_the_sweep_itself()
    {
        using var sweepLag = new MetricCollector<double>(_harness.MeterFactory, RevokerMetrics.MeterName, "credentialbroker.expiry.sweep_lag");
        var (taskId, _, jti) = await NewTaskAsync(TimeSpan.FromMinutes(1));

        Core.Time.Advance(TimeSpan.FromSeconds(59));
        var early = await _harness.Sweeper.SweepAsync(CancellationToken.None);
        Core.Time.Advance(TimeSpan.FromSeconds(2));
        var due = await _harness.Sweeper.SweepAsync(CancellationToken.None);
        var again = await _harness.Sweeper.SweepAsync(CancellationToken.None);
        var credential = await CredentialAsync(taskId, jti);

        Assert.Multiple(async () =>
        {
            Assert.That(early, Is.Zero);
            Assert.That(due, Is.EqualTo(1));
            Assert.That(again, Is.Zero);
            Assert.That(credential.ExpiryProcessedAt, Is.EqualTo(CoreHarness.Start.AddSeconds(61)));
            Assert.That(credential.RevokedAt, Is.Null, "an expired credential is expired, not revoked");
            Assert.That(credential.Downstream!.RevokedAt, Is.Not.Null);
            Assert.That((await FeedAsync()).Single().Reason, Is.EqualTo(RevocationReasons.TtlExpired));
            Assert.That(sweepLag.GetMeasurementSnapshot().Single().Value, Is.EqualTo(1.0));
            Assert.That(await _harness.Store.DepthAsync(CancellationToken.None), Is.Zero, "an expiry needs no queued work");
        });
    }

    [Test]
    public async Task A_revoked_credential_is_not_swept_again_at_its_expiry()
    {
        var (taskId, _, _) = await NewTaskAsync(TimeSpan.FromMinutes(1));
        await Core.Tasks.ChangeStateAsync(CoreHarness.Orchestrator, taskId, TaskState.Cancelled, null, CancellationToken.None);
        await _harness.Worker.DrainAsync(CancellationToken.None);
        Core.Time.Advance(TimeSpan.FromMinutes(2));

        await _harness.Sweeper.SweepAsync(CancellationToken.None);
        await _harness.Worker.DrainAsync(CancellationToken.None);

        Assert.That((await FeedAsync()).Select(e => e.Reason), Is.EqualTo(new[] { RevocationReasons.TaskState }));
    }

    [Test]
    public async Task A_downstream_that_fails_n_times_then_succeeds_is_retried_until_it_does()
    {
        _secrets.Failures = 2;
        var (taskId, token, _) = await NewTaskAsync();
        var access = await Core.ExchangeAsync(CoreHarness.Agent, token);
        await Core.Revocation.RevokeAsync(CoreHarness.Agent, access.Token, null, CancellationToken.None);

        await _harness.Worker.DrainAsync(CancellationToken.None);
        var credential = (await Core.Store.GetTaskAsync(taskId, CancellationToken.None))!.Credentials.Single(c => c.Kind == CredentialKind.AccessToken);

        Assert.Multiple(() =>
        {
            Assert.That(_secrets.Calls, Is.EqualTo(3));
            Assert.That(credential.Downstream!.Attempts, Is.EqualTo(3));
            Assert.That(credential.Downstream.Irrevocable, Is.False);
            Assert.That(credential.Downstream.VerifiedAt, Is.Not.Null);
        });
    }

    [Test]
    public async Task A_downstream_that_always_fails_makes_the_credential_irrevocable_with_an_alert_and_a_slow_retry()
    {
        using var irrevocable = new MetricCollector<long>(_harness.MeterFactory, RevokerMetrics.MeterName, "credentialbroker.revocation.irrevocable");
        _secrets.Failures = int.MaxValue;
        var (taskId, token, _) = await NewTaskAsync();
        await Core.ExchangeAsync(CoreHarness.Agent, token);
        await Core.Tasks.ChangeStateAsync(CoreHarness.Orchestrator, taskId, TaskState.Completed, null, CancellationToken.None);

        await _harness.Worker.DrainAsync(CancellationToken.None);
        var accessToken = (await Core.Store.GetTaskAsync(taskId, CancellationToken.None))!.Credentials.Single(c => c.Kind == CredentialKind.AccessToken);
        var tooSoon = await _harness.Retrier.RetryDueAsync(CancellationToken.None);
        _secrets.Failures = 0;
        Core.Time.Advance(_harness.Settings.IrrevocableRetryInterval);
        var recovered = await _harness.Retrier.RetryDueAsync(CancellationToken.None);
        var after = (await Core.Store.GetTaskAsync(taskId, CancellationToken.None))!.Credentials.Single(c => c.Kind == CredentialKind.AccessToken);

        Assert.Multiple(() =>
        {
            Assert.That(accessToken.Downstream!.Irrevocable, Is.True);
            Assert.That(accessToken.Downstream.Attempts, Is.EqualTo(_harness.Settings.DownstreamAttempts));
            Assert.That(accessToken.Downstream.LastError, Does.Contain("provider unreachable"));
            Assert.That(irrevocable.GetMeasurementSnapshot().Sum(m => m.Value), Is.EqualTo(1));
            Assert.That(_harness.ProcessorLog.Collector.GetSnapshot().Single(r => r.Level == LogLevel.Error).Message, Does.StartWith("ALERT").And.Contain(accessToken.Jti));
            Assert.That(tooSoon, Is.Zero);
            Assert.That(recovered, Is.EqualTo(1));
            Assert.That(after.Downstream!.Irrevocable, Is.False);
            Assert.That(after.Downstream.Attempts, Is.EqualTo(_harness.Settings.DownstreamAttempts + 1));
            Assert.That(after.Downstream.VerifiedAt, Is.Not.Null);
        });
    }

    // On Redis a late failed attempt that met a settled outcome can leave its retry scheduled (the retry is written before
    // the outcome, and taken back after it): the retrier drops it without calling downstream, and still retries the
    // irrevocable credential due beside it.
    [Test]
    public async Task A_retry_left_for_a_settled_credential_is_dropped_and_an_irrevocable_one_beside_it_is_retried()
    {
        var (settledTask, _, settledJti) = await NewTaskAsync();
        await Core.Tasks.ChangeStateAsync(CoreHarness.Orchestrator, settledTask, TaskState.Completed, null, CancellationToken.None);
        await _harness.Worker.DrainAsync(CancellationToken.None);
        var settled = await CredentialAsync(settledTask, settledJti);
        _secrets.Failures = int.MaxValue;
        var (failingTask, token, _) = await NewTaskAsync();
        await Core.ExchangeAsync(CoreHarness.Agent, token);
        await Core.Tasks.ChangeStateAsync(CoreHarness.Orchestrator, failingTask, TaskState.Completed, null, CancellationToken.None);
        await _harness.Worker.DrainAsync(CancellationToken.None);
        _secrets.Failures = 0;
        Core.Time.Advance(_harness.Settings.IrrevocableRetryInterval);
        var stray = new StrayRetryStore(_harness.Store, (settledTask, settledJti));
        var retrier = new IrrevocableRetrier(stray, _harness.Store, _harness.Processor, Microsoft.Extensions.Options.Options.Create(_harness.Settings), Core.Time);

        var recovered = await retrier.RetryDueAsync(CancellationToken.None);
        var after = await CredentialAsync(settledTask, settledJti);
        var recoveredCredential = (await Core.Store.GetTaskAsync(failingTask, CancellationToken.None))!.Credentials.Single(c => c.Kind == CredentialKind.AccessToken);

        Assert.Multiple(() =>
        {
            Assert.That(stray.Dropped, Is.True, "the stray retry is dropped");
            Assert.That(after.Downstream, Is.EqualTo(settled.Downstream), "the settled outcome is untouched: no attempt was made");
            Assert.That(recovered, Is.EqualTo(1), "the irrevocable credential beside it is retried and recovers");
            Assert.That(recoveredCredential.Downstream!.Irrevocable, Is.False);
        });
    }

    [Test]
    public async Task The_soc_can_resolve_an_irrevocable_credential_and_then_it_is_not_retried()
    {
        _secrets.Failures = int.MaxValue;
        var (taskId, token, _) = await NewTaskAsync();
        await Core.ExchangeAsync(CoreHarness.Agent, token);
        await Core.Tasks.ChangeStateAsync(CoreHarness.Orchestrator, taskId, TaskState.Completed, null, CancellationToken.None);
        await _harness.Worker.DrainAsync(CancellationToken.None);
        var jti = (await Core.Store.GetTaskAsync(taskId, CancellationToken.None))!.Credentials.Single(c => c.Kind == CredentialKind.AccessToken).Jti;

        var resolved = await _harness.Retrier.ResolveAsync(taskId, jti, "spiffe://a.example/soc", "rotated the database password", CancellationToken.None);
        var resolvedAgain = await _harness.Retrier.ResolveAsync(taskId, jti, "spiffe://a.example/soc", "twice", CancellationToken.None);
        Core.Time.Advance(TimeSpan.FromHours(1));
        var callsBefore = _secrets.Calls;
        await _harness.Retrier.RetryDueAsync(CancellationToken.None);
        var credential = await CredentialAsync(taskId, jti);

        Assert.Multiple(() =>
        {
            Assert.That(resolved.Outcome, Is.EqualTo(ResolutionOutcome.Resolved));
            Assert.That(resolvedAgain.Outcome, Is.EqualTo(ResolutionOutcome.NotIrrevocable));
            Assert.That(credential.Downstream!.Irrevocable, Is.False);
            Assert.That(credential.Downstream.ResolvedBy, Is.EqualTo("spiffe://a.example/soc"));
            Assert.That(_secrets.Calls, Is.EqualTo(callsBefore));
        });
    }

    [Test]
    public async Task A_kind_no_downstream_revoker_handles_is_irrevocable_not_forgotten()
    {
        var harness = new RevokerHarness();
        using var _ = harness;
        var issued = await harness.Core.IssueAsync();
        await harness.Core.Store.AddCredentialAsync(
            new CredentialRecord("secret-1", issued.Task!.TaskId, CredentialKind.Secret, issued.Credential!.Jti, CoreHarness.Agent.Id.Value, CoreHarness.Start, CoreHarness.Start.AddMinutes(5)),
            [TaskState.Created], CoreHarness.Start, 1000, TestAudit.For(null), CancellationToken.None);
        await harness.Core.Tasks.ChangeStateAsync(CoreHarness.Orchestrator, issued.Task.TaskId, TaskState.Completed, null, CancellationToken.None);

        await harness.Worker.DrainAsync(CancellationToken.None);
        var secret = (await harness.Core.Store.GetCredentialAsync(issued.Task.TaskId, "secret-1", CancellationToken.None))!.Credential;

        Assert.Multiple(() =>
        {
            Assert.That(secret.Downstream!.Irrevocable, Is.True);
            Assert.That(secret.Downstream.LastError, Does.Contain("No downstream revoker handles secret credentials"));
        });
    }

    [Test]
    public async Task Pausing_revokes_downstream_credentials_but_keeps_the_task_token()
    {
        var (taskId, token, jti) = await NewTaskAsync();
        await Core.ExchangeAsync(CoreHarness.Agent, token);
        await Core.Tasks.ChangeStateAsync(CoreHarness.Orchestrator, taskId, TaskState.Running, null, CancellationToken.None);

        var paused = await Core.Tasks.ChangeStateAsync(CoreHarness.Orchestrator, taskId, TaskState.Paused, "waiting on a human", CancellationToken.None);
        var credentials = paused.Task!.Credentials;

        Assert.Multiple(() =>
        {
            Assert.That(paused.Revoked, Is.EqualTo(1));
            Assert.That(credentials.Single(c => c.Jti == jti).RevokedAt, Is.Null);
            Assert.That(credentials.Single(c => c.Kind == CredentialKind.AccessToken).RevocationReason, Is.EqualTo(RevocationReasons.TaskState));
        });
    }

    [Test]
    public async Task The_policy_decides_per_workflow_what_a_state_change_revokes()
    {
        Core.Policy.Revokes = (workflow, state) => workflow == "wf-invoices" && state == TaskState.Paused
            ? [CredentialKind.AccessToken, CredentialKind.Delegated, CredentialKind.Task]
            : [];
        var (taskId, _, jti) = await NewTaskAsync();
        await Core.Tasks.ChangeStateAsync(CoreHarness.Orchestrator, taskId, TaskState.Running, null, CancellationToken.None);

        var paused = await Core.Tasks.ChangeStateAsync(CoreHarness.Orchestrator, taskId, TaskState.Paused, null, CancellationToken.None);

        Assert.That(paused.Task!.Credentials.Single(c => c.Jti == jti).RevokedAt, Is.Not.Null);
    }

    [Test]
    public async Task Work_a_crashed_replica_took_is_finished_by_another_after_the_lease()
    {
        var (taskId, _, jti) = await NewTaskAsync();
        await Core.Tasks.ChangeStateAsync(CoreHarness.Orchestrator, taskId, TaskState.Completed, null, CancellationToken.None);

        // Replica A takes the work and dies without acknowledging it.
        var taken = await _harness.Store.TakeWorkAsync("replica-a", 10, _harness.Settings.Lease, CancellationToken.None);
        var beforeLease = await _harness.Worker.DrainAsync(CancellationToken.None);
        Core.Time.Advance(_harness.Settings.Lease);
        var afterLease = await _harness.Worker.DrainAsync(CancellationToken.None);

        Assert.Multiple(async () =>
        {
            Assert.That(taken, Has.Count.EqualTo(1));
            Assert.That(beforeLease, Is.Zero);
            Assert.That(afterLease, Is.EqualTo(1));
            Assert.That((await CredentialAsync(taskId, jti)).Downstream!.RevokedAt, Is.Not.Null);
            Assert.That(await _harness.Store.DepthAsync(CancellationToken.None), Is.Zero);
        });
    }

    [Test]
    public async Task Work_taken_before_its_revocation_is_recorded_is_handed_back_and_finished_once_recorded()
    {
        var (taskId, _, jti) = await NewTaskAsync();
        await Core.Tasks.ChangeStateAsync(CoreHarness.Orchestrator, taskId, TaskState.Completed, null, CancellationToken.None);
        var late = new LateRecordingStore(_harness.Store);
        var worker = new RevocationWorker(late, _harness.Processor, Microsoft.Extensions.Options.Options.Create(_harness.Settings), _harness.Metrics, new Microsoft.Extensions.Logging.Testing.FakeLogger<RevocationWorker>());

        var whileRecording = await worker.DrainAsync(CancellationToken.None);
        var pendingMeanwhile = await _harness.Store.GetPendingAsync(taskId, CancellationToken.None);
        var onceRecorded = await worker.DrainAsync(CancellationToken.None);

        Assert.Multiple(async () =>
        {
            Assert.That(whileRecording, Is.Zero);
            Assert.That(late.Deferred, Has.Count.EqualTo(1));
            Assert.That(pendingMeanwhile.Select(c => c.Jti), Is.EqualTo(new[] { jti }), "not processed while unrecorded");
            Assert.That(onceRecorded, Is.EqualTo(1));
            Assert.That((await CredentialAsync(taskId, jti)).Downstream!.RevokedAt, Is.Not.Null);
            Assert.That(await _harness.Store.DepthAsync(CancellationToken.None), Is.Zero);
        });
    }

    [Test]
    public async Task An_expiry_whose_sweeper_died_halfway_is_finished_by_a_sweep_after_the_lease()
    {
        var (taskId, _, jti) = await NewTaskAsync(TimeSpan.FromMinutes(1));
        Core.Time.Advance(TimeSpan.FromSeconds(61));

        // A sweeper claims the expiry and reads it, then dies before the feed and the downstream revocation.
        var claimed = await _harness.Store.ClaimDueAsync(Core.Time.GetUtcNow(), 10, _harness.Settings.Lease, CancellationToken.None);
        await _harness.Store.ReadDueAsync(claimed.Single(), Core.Time.GetUtcNow(), CancellationToken.None);
        var whileLeased = await _harness.Sweeper.SweepAsync(CancellationToken.None);
        Core.Time.Advance(_harness.Settings.Lease);
        var afterLease = await _harness.Sweeper.SweepAsync(CancellationToken.None);

        Assert.Multiple(async () =>
        {
            Assert.That(whileLeased, Is.Zero);
            Assert.That(afterLease, Is.EqualTo(1));
            Assert.That((await CredentialAsync(taskId, jti)).Downstream!.RevokedAt, Is.Not.Null);
            Assert.That((await FeedAsync()).Select(e => e.Jti), Is.EqualTo(new[] { jti }));
            Assert.That(await _harness.Store.GetPendingAsync(taskId, CancellationToken.None), Is.Empty);
        });
    }
}
