using CredentialBroker.Abstractions.Storage;
using CredentialBroker.Abstractions.Tasks;
using CredentialBroker.Core.Tasks;

namespace CredentialBroker.Core.Tests.Revocation;

/// <summary>
/// The revoker finishes claimed expiries and taken work in batches (one feed append and one record of the outcomes per
/// batch). A replica that dies in the middle of a batch — some outcomes recorded, the rest not — loses nothing: its claims
/// and its work come back after the lease and are finished, and every credential reaches the feed.
/// </summary>
public sealed class BatchRevokerTests : IDisposable
{
    private readonly RevokerHarness _harness = new();

    public void Dispose() => _harness.Dispose();

    private CoreHarness Core => _harness.Core;

    private async Task<List<(string TaskId, string Jti)>> NewTasksAsync(int count, TimeSpan? ttl = null)
    {
        var tasks = new List<(string TaskId, string Jti)>();
        for (var i = 0; i < count; i++)
        {
            var issued = await Core.IssueAsync(CoreHarness.Draft(ttl));
            tasks.Add((issued.Task!.TaskId, issued.Credential!.Jti));
        }

        return tasks;
    }

    private async Task<List<CredentialRecord>> CredentialsAsync(IEnumerable<(string TaskId, string Jti)> tasks) =>
        [.. await Task.WhenAll(tasks.Select(async t => (await Core.Store.GetCredentialAsync(t.TaskId, t.Jti, CancellationToken.None))!.Credential))];

    private async Task<List<string>> FeedJtisAsync() => [.. (await _harness.Feed.ReadAsync(null, 10_000, CancellationToken.None)).Select(e => e.Jti)];

    private async Task CompleteAllAsync(IEnumerable<(string TaskId, string Jti)> tasks)
    {
        foreach (var (taskId, _) in tasks)
        {
            await Core.Tasks.ChangeStateAsync(CoreHarness.Orchestrator, taskId, TaskState.Completed, null, CancellationToken.None);
        }
    }

    [Test]
    public async Task A_sweep_finishes_every_expiry_it_claimed_in_batches_and_releases_the_claims()
    {
        _harness.Settings.SweepBatchSize = 2; // five expiries: three batches
        var tasks = await NewTasksAsync(5, TimeSpan.FromMinutes(1));
        Core.Time.Advance(TimeSpan.FromSeconds(61));

        var swept = await _harness.Sweeper.SweepAsync(CancellationToken.None);
        Core.Time.Advance(_harness.Settings.Lease);
        var afterLease = await _harness.Sweeper.SweepAsync(CancellationToken.None);
        var credentials = await CredentialsAsync(tasks);
        var feed = await FeedJtisAsync();

        Assert.Multiple(() =>
        {
            Assert.That(swept, Is.EqualTo(5));
            Assert.That(afterLease, Is.Zero, "released: nothing comes back");
            Assert.That(credentials.Select(c => c.Downstream?.RevokedAt), Is.All.Not.Null);
            Assert.That(credentials.Select(c => c.Downstream?.VerifiedAt), Is.All.Not.Null);
            Assert.That(credentials.Select(c => c.ExpiryProcessedAt), Is.All.EqualTo(CoreHarness.Start.AddSeconds(61)));
            Assert.That(feed, Is.EquivalentTo(tasks.Select(t => t.Jti)), "each on the feed once");
        });
    }

    [Test]
    public async Task A_sweep_that_dies_mid_batch_leaves_its_claims_to_a_sweep_after_the_lease_which_finishes_them()
    {
        var tasks = await NewTasksAsync(5, TimeSpan.FromMinutes(1));
        Core.Time.Advance(TimeSpan.FromSeconds(61));
        var dying = new DyingRevokerStore(_harness.Store, recordedBeforeDying: 2, () => new StoreUnavailableException("Redis went away mid-batch."));

        await Assert.ThrowsAsync<StoreUnavailableException>(async () => await _harness.SweeperOver(dying).SweepAsync(CancellationToken.None));
        var feedAfterCrash = await FeedJtisAsync();
        var recordedAfterCrash = (await CredentialsAsync(tasks)).Count(c => c.Downstream is not null);
        var whileLeased = await _harness.Sweeper.SweepAsync(CancellationToken.None);
        Core.Time.Advance(_harness.Settings.Lease);
        var afterLease = await _harness.Sweeper.SweepAsync(CancellationToken.None);
        var credentials = await CredentialsAsync(tasks);

        Assert.Multiple(async () =>
        {
            Assert.That(dying.Deaths, Is.EqualTo(1));
            Assert.That(feedAfterCrash, Is.EquivalentTo(tasks.Select(t => t.Jti)), "the feed is written before any outcome is recorded");
            Assert.That(recordedAfterCrash, Is.EqualTo(2));
            Assert.That(whileLeased, Is.Zero, "the dead sweeper's claims are held for their lease");
            Assert.That(afterLease, Is.EqualTo(3), "the expiries not recorded are finished; the recorded ones are not done twice");
            Assert.That(credentials.Select(c => c.Downstream?.RevokedAt), Is.All.Not.Null);
            Assert.That((await FeedJtisAsync()).Distinct(), Is.EquivalentTo(tasks.Select(t => t.Jti)));
        });
    }

    [Test]
    public async Task Work_for_many_tasks_is_finished_as_one_batch_and_acknowledged()
    {
        var tasks = await NewTasksAsync(4);
        await CompleteAllAsync(tasks);

        var finished = await _harness.Worker.DrainAsync(CancellationToken.None);
        var credentials = await CredentialsAsync(tasks);

        Assert.Multiple(async () =>
        {
            Assert.That(finished, Is.EqualTo(4));
            Assert.That(credentials.Select(c => c.Downstream?.VerifiedAt), Is.All.Not.Null);
            Assert.That(await FeedJtisAsync(), Is.EquivalentTo(tasks.Select(t => t.Jti)));
            Assert.That(await _harness.Store.DepthAsync(CancellationToken.None), Is.Zero);
            Assert.That(await ((IRevokerStore)_harness.Store).GetPendingAsync([.. tasks.Select(t => t.TaskId)], CancellationToken.None), Is.Empty);
        });
    }

    [Test]
    public async Task Work_whose_batch_dies_mid_way_stays_unacknowledged_and_is_finished_after_the_lease()
    {
        var tasks = await NewTasksAsync(4);
        await CompleteAllAsync(tasks);
        // The host stops the replica after one outcome of the batch is recorded: nothing is acknowledged.
        var dying = new DyingRevokerStore(_harness.Store, recordedBeforeDying: 1, () => new OperationCanceledException("The replica is shutting down."));

        await Assert.ThatAsync(async () => await _harness.WorkerOver(dying).DrainAsync(CancellationToken.None), Throws.InstanceOf<OperationCanceledException>());
        var depthAfterCrash = await _harness.Store.DepthAsync(CancellationToken.None);
        var pendingAfterCrash = await ((IRevokerStore)_harness.Store).GetPendingAsync([.. tasks.Select(t => t.TaskId)], CancellationToken.None);
        var whileLeased = await _harness.Worker.DrainAsync(CancellationToken.None);
        Core.Time.Advance(_harness.Settings.Lease);
        var afterLease = await _harness.Worker.DrainAsync(CancellationToken.None);
        var credentials = await CredentialsAsync(tasks);

        Assert.Multiple(async () =>
        {
            Assert.That(depthAfterCrash, Is.EqualTo(4), "nothing acknowledged");
            Assert.That(pendingAfterCrash, Has.Count.EqualTo(3), "one outcome was recorded before the replica died");
            Assert.That(whileLeased, Is.Zero);
            Assert.That(afterLease, Is.EqualTo(4));
            Assert.That(credentials.Select(c => c.Downstream?.VerifiedAt), Is.All.Not.Null);
            Assert.That(await _harness.Store.DepthAsync(CancellationToken.None), Is.Zero);
            Assert.That((await FeedJtisAsync()).Distinct(), Is.EquivalentTo(tasks.Select(t => t.Jti)));
        });
    }

    [Test]
    public async Task A_batch_that_fails_is_finished_task_by_task_when_single_outcomes_can_be_recorded()
    {
        var tasks = await NewTasksAsync(3);
        await CompleteAllAsync(tasks);
        var failingBatches = new DyingRevokerStore(_harness.Store, recordedBeforeDying: 0, () => new InvalidOperationException("One bad batch."));

        var finished = await _harness.WorkerOver(failingBatches).DrainAsync(CancellationToken.None);
        var credentials = await CredentialsAsync(tasks);

        Assert.Multiple(async () =>
        {
            Assert.That(failingBatches.Deaths, Is.EqualTo(1));
            Assert.That(finished, Is.EqualTo(3));
            Assert.That(credentials.Select(c => c.Downstream?.VerifiedAt), Is.All.Not.Null);
            Assert.That(await _harness.Store.DepthAsync(CancellationToken.None), Is.Zero);
        });
    }

    [Test]
    public async Task An_entry_naming_several_tasks_is_acknowledged_once_all_of_them_are_done()
    {
        var tasks = await NewTasksAsync(2);
        await CompleteAllAsync(tasks);
        var shared = new SharedEntryStore(_harness.Store, failingTask: null);

        var finished = await _harness.WorkerOver(shared).DrainAsync(CancellationToken.None);

        Assert.Multiple(async () =>
        {
            Assert.That(finished, Is.EqualTo(2));
            Assert.That(shared.Acknowledged.Select(w => w.TaskId), Is.EquivalentTo(tasks.Select(t => t.TaskId)));
            Assert.That(await _harness.Store.DepthAsync(CancellationToken.None), Is.Zero);
        });
    }

    [Test]
    public async Task An_entry_naming_several_tasks_stays_unacknowledged_while_one_of_them_fails()
    {
        var tasks = await NewTasksAsync(2);
        await CompleteAllAsync(tasks);
        var shared = new SharedEntryStore(_harness.Store, failingTask: tasks[1].TaskId);

        var finished = await _harness.WorkerOver(shared).DrainAsync(CancellationToken.None);
        var credentials = await CredentialsAsync(tasks);
        Core.Time.Advance(_harness.Settings.Lease);
        var afterLease = await _harness.Worker.DrainAsync(CancellationToken.None);

        Assert.Multiple(async () =>
        {
            Assert.That(finished, Is.Zero);
            Assert.That(shared.Acknowledged, Is.Empty, "the task that worked does not acknowledge the entry for the one that failed");
            Assert.That(credentials[0].Downstream?.VerifiedAt, Is.Not.Null, "the task that worked is done");
            Assert.That(credentials[1].Downstream, Is.Null);
            Assert.That(afterLease, Is.EqualTo(2), "the whole entry comes back");
            Assert.That((await CredentialsAsync(tasks))[1].Downstream?.VerifiedAt, Is.Not.Null);
            Assert.That(await _harness.Store.DepthAsync(CancellationToken.None), Is.Zero);
        });
    }
}
