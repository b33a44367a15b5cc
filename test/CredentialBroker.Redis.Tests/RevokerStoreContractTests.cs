using CredentialBroker.Testing;
using CredentialBroker.Abstractions;
using CredentialBroker.Abstractions.Storage;
using CredentialBroker.Abstractions.Tasks;
using CredentialBroker.Core;
using CredentialBroker.Core.Tasks;
using CredentialBroker.EmbeddedStore;
using Microsoft.Extensions.Time.Testing;

namespace CredentialBroker.Redis.Tests;

/// <summary>The revoker's durable work — pending credentials, the work queue, expiry claims, retries, the feed — for both stores, on a Redis server and on a Redis Cluster.</summary>
[TestFixture(StoreKind.Embedded)]
[TestFixture(StoreKind.Redis)]
[TestFixture(StoreKind.RedisCluster)]
public sealed class RevokerStoreContractTests(StoreKind kind) : IAsyncDisposable
{
    private static readonly DateTimeOffset Start = TimeProvider.System.GetUtcNowSeconds();
    private static readonly CredentialKind[] AllKinds = Enum.GetValues<CredentialKind>();
    private readonly FakeTimeProvider _time = new(Start);
    private readonly StoreFactory _factory = new();
    private ICredentialStore _store = null!;
    private IRevokerStore _revoker = null!;
    private IRevocationFeed _feed = null!;

    [SetUp]
    public async Task SetUp()
    {
        _store = await _factory.CreateAsync(kind, _time);
        _revoker = _factory.Revoker;
        _feed = _factory.CreateFeed(kind, _time);
    }

    public ValueTask DisposeAsync() => _factory.DisposeAsync();

    private async Task<string> CreateAsync(TimeSpan? ttl = null, string jti = "jti-1")
    {
        var taskId = "tsk_" + Guid.NewGuid().ToString("N");
        var expiresAt = Start + (ttl ?? TimeSpan.FromMinutes(10));
        var task = new TaskRecord(taskId, "spiffe://a.example/agent", new WorkflowRef("wf", null, null), [new AuthorizationGrant("t", "postgres://x", ["read"], null)],
            null, null, 1, [], "spiffe://a.example/orchestrator", Start, expiresAt, TaskState.Created, Start, null);
        await _store.CreateTaskAsync(task, new CredentialRecord(jti, taskId, CredentialKind.Task, null, "spiffe://a.example/agent", Start, expiresAt), TestAudit.For(task.TaskId), CancellationToken.None);
        return taskId;
    }

    private async Task<IReadOnlyList<RevocationWork>> DrainWorkAsync(string consumer = "c1")
    {
        var work = await _revoker.TakeWorkAsync(consumer, 1000, TimeSpan.FromHours(1), CancellationToken.None);
        await _revoker.AckWorkAsync(work, CancellationToken.None);
        return work;
    }

    private ValueTask<StateChange> CompleteTaskAsync(string taskId) =>
        _store.ChangeStateAsync(new StateChangeRequest(taskId, TaskState.Completed, TaskStateMachine.SourcesOf(TaskState.Completed), Start.AddSeconds(1), null, AllKinds, RevocationReasons.TaskCompleted, TestAudit.For(taskId)), CancellationToken.None);

    private async Task<CredentialRecord> AddSecretAsync(string taskId, string jti)
    {
        var secret = new CredentialRecord(jti, taskId, CredentialKind.Secret, "jti-1", "spiffe://a.example/agent", Start, Start.AddMinutes(5),
            Audience: "postgres://x", Secret: new SecretReference("payments-db", "postgresql", "cb_" + new string('a', 24), null));
        await _store.AddCredentialAsync(secret, [TaskState.Created], Start, 1000, TestAudit.For(secret.TaskId), CancellationToken.None);
        return secret;
    }

    private async Task<IReadOnlyList<string>> ClaimUnconfirmedAsync(DateTimeOffset now) =>
        [.. (await _revoker.ClaimUnconfirmedAsync(now, 10, TimeSpan.FromMinutes(1), CancellationToken.None)).Select(c => c.Jti)];

    [Test]
    public async Task A_secret_being_issued_is_claimed_after_its_deadline_once_per_lease_until_forgotten()
    {
        var taskId = await CreateAsync();
        var secret = await AddSecretAsync(taskId, "sec-1");
        await _store.TrackIssuingAsync(secret, Start.AddSeconds(30), CancellationToken.None);

        var early = await ClaimUnconfirmedAsync(Start.AddSeconds(29));
        var due = await ClaimUnconfirmedAsync(Start.AddSeconds(30));
        var leased = await ClaimUnconfirmedAsync(Start.AddSeconds(31));
        var afterLease = await ClaimUnconfirmedAsync(Start.AddSeconds(91));
        await _revoker.ForgetIssuingAsync(taskId, "sec-1", CancellationToken.None);
        var forgotten = await ClaimUnconfirmedAsync(Start.AddHours(1));

        Assert.Multiple(() =>
        {
            Assert.That(early, Is.Empty);
            Assert.That(due, Is.EqualTo(new[] { "sec-1" }));
            Assert.That(leased, Is.Empty, "a claimer holds it for its lease");
            Assert.That(afterLease, Is.EqualTo(new[] { "sec-1" }), "a claimer that died loses nothing");
            Assert.That(forgotten, Is.Empty);
        });
    }

    [Test]
    public async Task Confirming_an_issue_keeps_the_lease_id_and_forgets_the_mark_unless_the_secret_was_revoked_meanwhile()
    {
        var taskId = await CreateAsync();
        var kept = await AddSecretAsync(taskId, "sec-1");
        var raced = await AddSecretAsync(taskId, "sec-2");
        await _store.TrackIssuingAsync(kept, Start.AddSeconds(30), CancellationToken.None);
        await _store.TrackIssuingAsync(raced, Start.AddSeconds(30), CancellationToken.None);
        await _store.RevokeSubtreeAsync(taskId, "sec-2", Start.AddSeconds(1), RevocationReasons.Holder, TestAudit.For(taskId), CancellationToken.None);

        var keptConfirmed = await _store.ConfirmIssuedAsync(kept, "lease-1", Start.AddSeconds(2), CancellationToken.None);
        var racedConfirmed = await _store.ConfirmIssuedAsync(raced, "lease-2", Start.AddSeconds(2), CancellationToken.None);
        var due = await ClaimUnconfirmedAsync(Start.AddSeconds(2));
        var stored = (await _store.GetCredentialAsync(taskId, "sec-1", CancellationToken.None))!.Credential;

        Assert.Multiple(() =>
        {
            Assert.That(keptConfirmed, Is.True);
            Assert.That(racedConfirmed, Is.False, "revoked while it was being created");
            Assert.That(due, Is.EqualTo(new[] { "sec-2" }), "due at once, so the revoker revokes it again");
            Assert.That(stored.Secret, Is.EqualTo(new SecretReference("payments-db", "postgresql", "cb_" + new string('a', 24), "lease-1")));
            Assert.That(stored.Audience, Is.EqualTo("postgres://x"));
        });
    }

    [Test]
    public async Task A_revocation_leaves_its_credentials_pending_and_work_naming_the_task()
    {
        await DrainWorkAsync();
        var taskId = await CreateAsync();

        await CompleteTaskAsync(taskId);
        var pending = await _revoker.GetPendingAsync(taskId, CancellationToken.None);
        var work = await DrainWorkAsync();

        Assert.Multiple(() =>
        {
            Assert.That(pending.Select(p => p.Jti), Is.EqualTo(new[] { "jti-1" }));
            Assert.That(pending[0].RevocationReason, Is.EqualTo(RevocationReasons.TaskCompleted));
            Assert.That(work.Select(w => w.TaskId), Has.Member(taskId));
        });
    }

    [Test]
    public async Task A_subtree_revocation_leaves_the_whole_subtree_pending()
    {
        var taskId = await CreateAsync();
        await _store.AddCredentialAsync(new CredentialRecord("child", taskId, CredentialKind.AccessToken, "jti-1", "spiffe://a.example/agent", Start, Start.AddMinutes(5)),
            [TaskState.Created], Start, 1000, TestAudit.For(null), CancellationToken.None);
        await DrainWorkAsync();

        await _store.RevokeSubtreeAsync(taskId, "jti-1", Start.AddSeconds(1), RevocationReasons.Holder, TestAudit.For(taskId), CancellationToken.None);

        Assert.Multiple(async () =>
        {
            Assert.That((await _revoker.GetPendingAsync(taskId, CancellationToken.None)).Select(p => p.Jti), Is.EquivalentTo(new[] { "jti-1", "child" }));
            Assert.That((await DrainWorkAsync()).Select(w => w.TaskId), Has.Member(taskId));
        });
    }

    [Test]
    public async Task A_transition_that_revokes_nothing_leaves_nothing_pending()
    {
        var taskId = await CreateAsync();
        await _store.ChangeStateAsync(new StateChangeRequest(taskId, TaskState.Running, TaskStateMachine.SourcesOf(TaskState.Running), Start, null, [], RevocationReasons.TaskState, TestAudit.For(taskId)), CancellationToken.None);

        Assert.That(await _revoker.GetPendingAsync(taskId, CancellationToken.None), Is.Empty);
    }

    [Test]
    public async Task Completing_a_credential_records_its_downstream_outcome_and_takes_it_off_the_pending_set()
    {
        var taskId = await CreateAsync();
        await CompleteTaskAsync(taskId);
        var outcome = new DownstreamState(Start.AddSeconds(2), Start.AddSeconds(3), 1, false, null);

        await _revoker.CompleteAsync((await _revoker.GetPendingAsync(taskId, CancellationToken.None)).Single(), outcome, null, CancellationToken.None);
        var credential = (await _store.GetCredentialAsync(taskId, "jti-1", CancellationToken.None))!.Credential;

        Assert.Multiple(async () =>
        {
            Assert.That(await _revoker.GetPendingAsync(taskId, CancellationToken.None), Is.Empty);
            Assert.That(credential.Downstream, Is.EqualTo(outcome));
        });
    }

    [Test]
    public async Task Work_taken_and_never_acknowledged_is_taken_over_only_after_the_lease()
    {
        await DrainWorkAsync();
        var taskId = await CreateAsync();
        await CompleteTaskAsync(taskId);

        var first = await _revoker.TakeWorkAsync("replica-a", 10, TimeSpan.FromHours(1), CancellationToken.None);
        var tooEarly = await _revoker.TakeWorkAsync("replica-b", 10, TimeSpan.FromHours(1), CancellationToken.None);
        var takenOver = await _revoker.TakeWorkAsync("replica-b", 10, TimeSpan.Zero, CancellationToken.None);
        await _revoker.AckWorkAsync(takenOver, CancellationToken.None);
        var afterAck = await _revoker.TakeWorkAsync("replica-c", 10, TimeSpan.Zero, CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(first.Select(w => w.TaskId), Is.EqualTo(new[] { taskId }));
            Assert.That(tooEarly, Is.Empty);
            Assert.That(takenOver.Select(w => w.Id), Is.EqualTo(first.Select(w => w.Id)));
            Assert.That(afterAck, Is.Empty);
        });
    }

    [Test]
    public async Task Due_credentials_are_claimed_once_per_lease_and_released_for_good()
    {
        var due = await CreateAsync(TimeSpan.FromSeconds(30));
        var later = await CreateAsync(TimeSpan.FromMinutes(10));
        var now = Start.AddSeconds(31);

        var claimed = await _revoker.ClaimDueAsync(now, 100, TimeSpan.FromSeconds(30), CancellationToken.None);
        var whileLeased = await _revoker.ClaimDueAsync(now.AddSeconds(10), 100, TimeSpan.FromSeconds(30), CancellationToken.None);
        var afterLease = await _revoker.ClaimDueAsync(now.AddSeconds(31), 100, TimeSpan.FromSeconds(30), CancellationToken.None);
        await _revoker.ReleaseAsync(afterLease, CancellationToken.None);
        var afterRelease = await _revoker.ClaimDueAsync(now.AddSeconds(62), 100, TimeSpan.FromSeconds(30), CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(claimed.Where(c => c.TaskId == due).ToList(), Is.EqualTo(new[] { new DueCredential(due, "jti-1", Start.AddSeconds(30)) }));
            Assert.That(claimed.Any(c => c.TaskId == later), Is.False);
            Assert.That(whileLeased.Any(c => c.TaskId == due), Is.False);
            Assert.That(afterLease.Any(c => c.TaskId == due), Is.True, "a claim whose sweeper died comes back");
            Assert.That(afterRelease.Any(c => c.TaskId == due), Is.False);
        });
    }

    [Test]
    public async Task A_due_credential_is_handed_out_until_its_expiry_is_recorded_never_a_revoked_or_undue_one()
    {
        var taskId = await CreateAsync(TimeSpan.FromSeconds(30));
        var revokedTask = await CreateAsync(TimeSpan.FromSeconds(30));
        await CompleteTaskAsync(revokedTask);
        var due = new DueCredential(taskId, "jti-1", Start.AddSeconds(30));

        var early = await _revoker.ReadDueAsync(due, Start.AddSeconds(29), CancellationToken.None);
        var first = await _revoker.ReadDueAsync(due, Start.AddSeconds(31), CancellationToken.None);
        var afterACrash = await _revoker.ReadDueAsync(due, Start.AddSeconds(62), CancellationToken.None);
        var revoked = await _revoker.ReadDueAsync(due with { TaskId = revokedTask }, Start.AddSeconds(31), CancellationToken.None);
        await _revoker.CompleteAsync(afterACrash!, new DownstreamState(Start.AddSeconds(63), Start.AddSeconds(63), 1, false, null), null, CancellationToken.None);
        var afterRecording = await _revoker.ReadDueAsync(due, Start.AddSeconds(93), CancellationToken.None);
        var credential = (await _store.GetCredentialAsync(taskId, "jti-1", CancellationToken.None))!.Credential;

        Assert.Multiple(async () =>
        {
            Assert.That(early, Is.Null);
            Assert.That(first?.ExpiryProcessedAt, Is.EqualTo(Start.AddSeconds(31)));
            Assert.That(afterACrash?.ExpiryProcessedAt, Is.EqualTo(Start.AddSeconds(62)), "not recorded yet: handed out again");
            Assert.That(revoked, Is.Null, "its revocation is queued work of its own");
            Assert.That(afterRecording, Is.Null);
            Assert.That(credential.ExpiryProcessedAt, Is.EqualTo(Start.AddSeconds(62)));
            Assert.That(credential.RevokedAt, Is.Null, "an expired credential is expired, not revoked");
            Assert.That(credential.Downstream!.RevokedAt, Is.EqualTo(Start.AddSeconds(63)));
            Assert.That(await _revoker.GetPendingAsync(taskId, CancellationToken.None), Is.Empty, "an expiry never needs the pending set");
        });
    }

    // A replica that lost its lease in a partition records its failed attempts after the network heals, late, having read
    // the credential pending: they must not undo the success (or the SOC's resolution) recorded meanwhile. Its twins: a
    // success replaces a failure, and a caller that read the settled outcome (a secret revoked once more because it was
    // created after its first revocation) replaces it with its failure, which is retried. All in one batch, so the
    // retries the store takes back are exactly those of the outcomes it did not record.
    [Test]
    public async Task A_late_outcome_never_replaces_a_settled_one_its_caller_did_not_read_and_one_that_read_it_does()
    {
        var tasks = new Dictionary<string, string>();
        foreach (var name in new[] { "succeeded", "failed", "resolved", "revokedAgain", "genuine" })
        {
            tasks[name] = await CreateAsync();
            await CompleteTaskAsync(tasks[name]);
        }

        var success = new DownstreamState(Start.AddSeconds(2), Start.AddSeconds(3), 1, false, null);
        var failure = new DownstreamState(null, null, 5, true, "StoreUnavailableException: Redis is unavailable.");
        var resolution = new DownstreamState(null, null, 5, false, "resolved: revoked by hand", "spiffe://a.example/soc");
        var pending = new Dictionary<string, CredentialRecord>();
        foreach (var (name, taskId) in tasks)
        {
            pending[name] = (await _revoker.GetPendingAsync(taskId, CancellationToken.None)).Single();
        }

        async Task<CredentialRecord> ReadAsync(string name) => (await _store.GetCredentialAsync(tasks[name], "jti-1", CancellationToken.None))!.Credential;
        await _revoker.CompleteAsync(pending["succeeded"], success, null, CancellationToken.None);
        await _revoker.CompleteAsync(pending["failed"], failure, Start.AddMinutes(1), CancellationToken.None);
        await _revoker.CompleteAsync(pending["resolved"], resolution, null, CancellationToken.None);
        await _revoker.CompleteAsync(pending["revokedAgain"], success, null, CancellationToken.None);
        var retryAt = Start.AddMinutes(1);
        await _revoker.CompleteAsync(
        [
            new DownstreamCompletion(pending["succeeded"], failure, retryAt),
            new DownstreamCompletion(await ReadAsync("failed"), success, null),
            new DownstreamCompletion(pending["resolved"], failure, retryAt),
            new DownstreamCompletion(await ReadAsync("revokedAgain"), failure, retryAt),
            new DownstreamCompletion(pending["genuine"], failure, retryAt),
        ], CancellationToken.None);
        var retries = await _revoker.ClaimRetriesAsync(Start.AddHours(1), 10, TimeSpan.FromMinutes(1), CancellationToken.None);

        Assert.Multiple(async () =>
        {
            Assert.That((await ReadAsync("succeeded")).Downstream, Is.EqualTo(success), "a late failure leaves the success");
            Assert.That((await ReadAsync("failed")).Downstream, Is.EqualTo(success), "a success replaces a failure");
            Assert.That((await ReadAsync("resolved")).Downstream, Is.EqualTo(resolution), "a late failure leaves the SOC's resolution");
            Assert.That((await ReadAsync("revokedAgain")).Downstream, Is.EqualTo(failure), "a caller that read the success records its failure");
            Assert.That((await ReadAsync("genuine")).Downstream, Is.EqualTo(failure));
            Assert.That(retries.Select(r => r.TaskId), Is.EquivalentTo(new[] { tasks["revokedAgain"], tasks["genuine"] }),
                "the recorded failures are retried; the retries of the outcomes not recorded are taken back");
        });
    }

    [Test]
    public async Task An_irrevocable_credential_comes_due_for_retry_and_leaves_the_retries_when_it_succeeds()
    {
        var taskId = await CreateAsync();
        await CompleteTaskAsync(taskId);
        var retryAt = Start.AddMinutes(1);

        var pending = (await _revoker.GetPendingAsync(taskId, CancellationToken.None)).Single();
        await _revoker.CompleteAsync(pending, new DownstreamState(null, null, 5, true, "connection refused"), retryAt, CancellationToken.None);
        var early = await _revoker.ClaimRetriesAsync(retryAt.AddSeconds(-1), 10, TimeSpan.FromMinutes(1), CancellationToken.None);
        var due = await _revoker.ClaimRetriesAsync(retryAt, 10, TimeSpan.FromMinutes(1), CancellationToken.None);
        var leased = await _revoker.ClaimRetriesAsync(retryAt.AddSeconds(1), 10, TimeSpan.FromMinutes(1), CancellationToken.None);
        var irrevocable = (await _store.GetCredentialAsync(taskId, "jti-1", CancellationToken.None))!.Credential;
        await _revoker.CompleteAsync(irrevocable, new DownstreamState(retryAt, retryAt, 6, false, null), null, CancellationToken.None);
        var afterSuccess = await _revoker.ClaimRetriesAsync(retryAt.AddHours(1), 10, TimeSpan.FromMinutes(1), CancellationToken.None);
        var credential = (await _store.GetCredentialAsync(taskId, "jti-1", CancellationToken.None))!.Credential;

        Assert.Multiple(() =>
        {
            Assert.That(early.Any(r => r.TaskId == taskId), Is.False);
            Assert.That(due, Has.Member((taskId, "jti-1")));
            Assert.That(leased.Any(r => r.TaskId == taskId), Is.False);
            Assert.That(afterSuccess.Any(r => r.TaskId == taskId), Is.False);
            Assert.That(credential.Downstream!.Irrevocable, Is.False);
            Assert.That(credential.Downstream.Attempts, Is.EqualTo(6));
        });
    }

    [Test]
    public async Task The_feed_is_ordered_resumable_and_trimmed_by_age()
    {
        var first = await _feed.AppendAsync(new RevocationEvent("", "a", "tsk_1", Start.AddMinutes(5), RevocationReasons.Holder, Start), CancellationToken.None);
        var second = await _feed.AppendAsync(new RevocationEvent("", "b", "tsk_1", Start.AddMinutes(5), RevocationReasons.Cascade, Start), CancellationToken.None);

        var all = await _feed.ReadAsync(null, 100, CancellationToken.None);
        var afterFirst = await _feed.ReadAsync(first, 100, CancellationToken.None);
        await _feed.TrimAsync(_time.GetUtcNow().AddHours(1).Add(TimeSpan.FromDays(3650)), CancellationToken.None);
        var trimmed = await _feed.ReadAsync(null, 100, CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(all.Select(e => e.Jti), Is.EqualTo(new[] { "a", "b" }));
            Assert.That(all.Select(e => e.Id), Is.EqualTo(new[] { first, second }));
            Assert.That(all[1], Is.EqualTo(new RevocationEvent(second, "b", "tsk_1", Start.AddMinutes(5), RevocationReasons.Cascade, Start)));
            Assert.That(afterFirst.Select(e => e.Jti), Is.EqualTo(new[] { "b" }));
            Assert.That(trimmed, Is.Empty);
        });
    }

    [Test]
    public async Task Many_due_credentials_are_read_at_once_only_those_whose_expiry_still_needs_finishing()
    {
        var due = new List<string>();
        for (var i = 0; i < 6; i++)
        {
            due.Add(await CreateAsync(TimeSpan.FromSeconds(30)));
        }

        var revokedTask = await CreateAsync(TimeSpan.FromSeconds(30));
        await CompleteTaskAsync(revokedTask);
        var undueTask = await CreateAsync(TimeSpan.FromMinutes(10));
        var finishedTask = await CreateAsync(TimeSpan.FromSeconds(30));
        var finished = (await _revoker.ReadDueAsync(new DueCredential(finishedTask, "jti-1", Start.AddSeconds(30)), Start.AddSeconds(31), CancellationToken.None))!;
        await _revoker.CompleteAsync(finished, new DownstreamState(Start.AddSeconds(31), Start.AddSeconds(31), 1, false, null), null, CancellationToken.None);
        var now = Start.AddSeconds(40);
        DueCredential[] asked =
        [
            .. due.Select(t => new DueCredential(t, "jti-1", Start.AddSeconds(30))),
            new(revokedTask, "jti-1", Start.AddSeconds(30)),
            new(undueTask, "jti-1", Start.AddMinutes(10)),
            new(finishedTask, "jti-1", Start.AddSeconds(30)),
            new("tsk_gone", "jti-1", Start.AddSeconds(30)),
        ];

        var read = await _revoker.ReadDueAsync(asked, now, CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(read.Select(c => c.TaskId), Is.EquivalentTo(due), "the due ones, and none revoked, undue, finished or gone");
            Assert.That(read.Select(c => c.ExpiryProcessedAt), Is.All.EqualTo(now));
            Assert.That(read.Select(c => c.Jti), Is.All.EqualTo("jti-1"));
        });
    }

    [Test]
    public async Task Many_outcomes_are_recorded_at_once_across_tasks_and_take_the_credentials_off_their_pending_sets()
    {
        var tasks = new List<string>();
        for (var i = 0; i < 12; i++)
        {
            tasks.Add(await CreateAsync());
            await CompleteTaskAsync(tasks[^1]);
        }

        var pending = await _revoker.GetPendingAsync(tasks, CancellationToken.None);
        var delivered = new DownstreamState(Start.AddSeconds(2), Start.AddSeconds(3), 1, false, null);
        var failed = new DownstreamState(null, null, 5, true, "connection refused");
        var retryAt = Start.AddMinutes(1);

        // The last one's backend keeps failing: it is irrevocable, scheduled for a retry, and leaves the pending set too.
        await _revoker.CompleteAsync([.. pending.Select((p, i) => i < pending.Count - 1 ? new DownstreamCompletion(p, delivered, null) : new DownstreamCompletion(p, failed, retryAt))], CancellationToken.None);
        var credentials = await Task.WhenAll(tasks.Select(async t => (await _store.GetCredentialAsync(t, "jti-1", CancellationToken.None))!.Credential));
        var retries = await _revoker.ClaimRetriesAsync(retryAt, 100, TimeSpan.FromMinutes(1), CancellationToken.None);
        var pendingAfter = await _revoker.GetPendingAsync(tasks, CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(pending.Select(p => p.TaskId), Is.EquivalentTo(tasks), "every task's pending credential, read at once");
            Assert.That(pendingAfter, Is.Empty);
            Assert.That(credentials.Take(11).Select(c => c.Downstream), Is.All.EqualTo(delivered));
            Assert.That(credentials.Single(c => c.TaskId == pending[^1].TaskId).Downstream, Is.EqualTo(failed));
            Assert.That(retries, Is.EqualTo(new[] { (pending[^1].TaskId, "jti-1") }), "only the irrevocable one is scheduled");
        });
    }

    [Test]
    public async Task An_outcome_for_a_credential_whose_record_is_gone_writes_no_record_but_still_leaves_the_pending_set()
    {
        var taskId = await CreateAsync();
        var ghost = new CredentialRecord("ghost", taskId, CredentialKind.AccessToken, "jti-1", "spiffe://a.example/agent", Start, Start.AddMinutes(5));

        await _revoker.CompleteAsync([new DownstreamCompletion(ghost, new DownstreamState(Start, Start, 1, false, null), null)], CancellationToken.None);
        var lookup = await _store.GetCredentialAsync(taskId, "ghost", CancellationToken.None);
        var task = await _store.GetTaskAsync(taskId, CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(lookup, Is.Null);
            Assert.That(task!.Credentials.Select(c => c.Jti), Is.EqualTo(new[] { "jti-1" }));
        });
    }

    [Test]
    public async Task A_batch_of_feed_events_is_appended_in_order_and_read_back_with_its_ids()
    {
        RevocationEvent Event(int i) => new("", $"j{i}", "tsk_" + (i % 3), Start.AddMinutes(5), i % 2 == 0 ? RevocationReasons.Bulk : RevocationReasons.Cascade, Start.AddMilliseconds(i));
        var before = await _feed.AppendAsync(Event(-1), CancellationToken.None);

        var ids = await _feed.AppendAsync([.. Enumerable.Range(0, 1203).Select(Event)], CancellationToken.None);
        var read = await _feed.ReadAsync(before, 2000, CancellationToken.None);
        var none = await _feed.AppendAsync([], CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(ids, Has.Count.EqualTo(1203));
            Assert.That(read.Select(e => e.Id), Is.EqualTo(ids), "ids in the order given, after the earlier event");
            Assert.That(read, Is.EqualTo(Enumerable.Range(0, 1203).Select(i => Event(i) with { Id = ids[i] })));
            Assert.That(none, Is.Empty);
        });
    }

    [Test]
    public async Task Many_subtrees_revoked_at_once_leave_their_credentials_pending_work_for_every_task_and_each_root_an_event()
    {
        await DrainWorkAsync();
        var tasks = new List<string>();
        for (var i = 0; i < 7; i++)
        {
            tasks.Add(await CreateAsync());
        }

        await _store.AddCredentialAsync(new CredentialRecord("child", tasks[0], CredentialKind.AccessToken, "jti-1", "spiffe://a.example/agent", Start, Start.AddMinutes(5)),
            [TaskState.Created], Start, 1000, TestAudit.For(tasks[0]), CancellationToken.None);
        var eventsBefore = await Task.WhenAll(tasks.Select(t => _factory.Audit.TaskEventsAsync(t, CancellationToken.None).AsTask()));

        var revoked = await _store.RevokeSubtreesAsync(
            [.. tasks.Select(t => new SubtreeRevocation(t, "jti-1", Start.AddSeconds(1), RevocationReasons.Bulk, TestAudit.For(t))),
             new SubtreeRevocation(tasks[1], "no-such-jti", Start.AddSeconds(1), RevocationReasons.Bulk, TestAudit.For(tasks[1]))],
            CancellationToken.None);
        var pending = await _revoker.GetPendingAsync(tasks, CancellationToken.None);
        var eventsAfter = await Task.WhenAll(tasks.Select(t => _factory.Audit.TaskEventsAsync(t, CancellationToken.None).AsTask()));
        var work = await _revoker.TakeWorkAsync("c1", 1000, TimeSpan.FromHours(1), CancellationToken.None);
        await _revoker.AckWorkAsync(work, CancellationToken.None);
        var afterAck = await _revoker.TakeWorkAsync("c2", 1000, TimeSpan.Zero, CancellationToken.None);
        var child = (await _store.GetCredentialAsync(tasks[0], "child", CancellationToken.None))!.Credential;

        Assert.Multiple(async () =>
        {
            Assert.That(revoked, Is.EqualTo(8), "seven roots and one descendant; a missing root revokes nothing");
            Assert.That(pending.Select(p => (p.TaskId, p.Jti)), Is.EquivalentTo(tasks.Select(t => (t, "jti-1")).Append((tasks[0], "child"))));
            Assert.That(pending.Where(p => p.Jti == "jti-1").Select(p => p.RevocationReason), Is.All.EqualTo(RevocationReasons.Bulk));
            Assert.That(child.RevocationReason, Is.EqualTo(RevocationReasons.Cascade));
            Assert.That(eventsAfter.Select((e, i) => e.Count - eventsBefore[i].Count), Is.All.EqualTo(1), "one event per revoked root, none for a missing one");
            Assert.That(work.Where(w => w.Recorded).Select(w => w.TaskId).Distinct(), Is.EquivalentTo(tasks), "work names every task");
            Assert.That(afterAck, Is.Empty);
            Assert.That(await _revoker.DepthAsync(CancellationToken.None), Is.Zero);
        });
    }

    [Test]
    public async Task Revoking_the_same_subtrees_again_revokes_nothing_new_and_keeps_the_first_revocation()
    {
        var tasks = new List<string> { await CreateAsync(), await CreateAsync(), await CreateAsync() };
        SubtreeRevocation[] Batch(int second, string reason) => [.. tasks.Select(t => new SubtreeRevocation(t, "jti-1", Start.AddSeconds(second), reason, TestAudit.For(t)))];

        var first = await _store.RevokeSubtreesAsync(Batch(1, RevocationReasons.Bulk), CancellationToken.None);
        var again = await _store.RevokeSubtreesAsync(Batch(2, RevocationReasons.Holder), CancellationToken.None);
        var records = await _store.GetCredentialRecordsAsync([.. tasks.Select(t => new Abstractions.Soc.CredentialRef(t, "jti-1")), new Abstractions.Soc.CredentialRef(tasks[0], "gone")], CancellationToken.None);
        var views = await _store.GetTasksAsync([tasks[2], "tsk_gone", tasks[0]], CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(first, Is.EqualTo(3));
            Assert.That(again, Is.Zero);
            Assert.That(records.Take(3).Select(r => r!.RevokedAt), Is.All.EqualTo(Start.AddSeconds(1)));
            Assert.That(records.Take(3).Select(r => r!.RevocationReason), Is.All.EqualTo(RevocationReasons.Bulk));
            Assert.That(records[3], Is.Null, "no such credential");
            Assert.That(views.Select(v => v?.Task.TaskId), Is.EqualTo(new[] { tasks[2], null, tasks[0] }), "in the order asked");
        });
    }
}
