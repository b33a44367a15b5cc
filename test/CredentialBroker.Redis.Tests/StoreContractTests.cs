using CredentialBroker.Testing;
using System.Text.Json;
using CredentialBroker.Abstractions;
using CredentialBroker.Abstractions.Policy;
using CredentialBroker.Abstractions.Storage;
using CredentialBroker.Abstractions.Tasks;
using CredentialBroker.Core;
using CredentialBroker.Core.Tasks;
using CredentialBroker.EmbeddedStore;
using Microsoft.Extensions.Time.Testing;

namespace CredentialBroker.Redis.Tests;

/// <summary>The one contract both stores keep. Each test runs against the embedded store, a real redis-server and a real Redis Cluster.</summary>
[TestFixture(StoreKind.Embedded)]
[TestFixture(StoreKind.Redis)]
[TestFixture(StoreKind.RedisCluster)]
public sealed class StoreContractTests(StoreKind kind) : IAsyncDisposable
{
    // Redis retention is absolute (PEXPIREAT), so the fake clock starts at the real time.
    private static readonly DateTimeOffset Start = TimeProvider.System.GetUtcNowSeconds();
    private static readonly CredentialKind[] AllKinds = Enum.GetValues<CredentialKind>();
    private readonly FakeTimeProvider _time = new(Start);
    private readonly StoreFactory _factory = new();
    private ICredentialStore _store = null!;

    [SetUp]
    public async Task SetUp() => _store = await _factory.CreateAsync(kind, _time);

    public ValueTask DisposeAsync() => _factory.DisposeAsync();

    private static TaskRecord Task(string taskId, string promptId = "p-77") => new(
        taskId,
        "spiffe://a.example/agent",
        new WorkflowRef("wf-invoices", "team-payments", "3"),
        [new AuthorizationGrant("sql.query", "postgres://payments", ["read", "list"], "confidential"), new AuthorizationGrant("http.get", "https://api.example/x", ["get"], null)],
        new TaskApproval("CHG-1042", "alice@corp.example", Start.AddMinutes(-5).AddMilliseconds(123)),
        new TaskOrigin(promptId, new string('b', 64), "user:bob@corp.example"),
        2,
        ["spiffe://a.example/agents/sub/"],
        "spiffe://a.example/orchestrator",
        Start,
        Start.AddMinutes(10),
        TaskState.Created,
        Start,
        null);

    private static CredentialRecord Token(string taskId, string jti = "jti-1") =>
        new(jti, taskId, CredentialKind.Task, null, "spiffe://a.example/agent", Start, Start.AddMinutes(10));

    private static string NewTaskId() => "tsk_" + Guid.NewGuid().ToString("N");

    private static string Json<T>(T value) => JsonSerializer.Serialize(value);

    private async Task<string> CreateAsync(string? promptId = null)
    {
        var taskId = NewTaskId();
        await _store.CreateTaskAsync(Task(taskId, promptId ?? "p-77"), Token(taskId), TestAudit.For(Task(taskId, promptId ?? "p-77").TaskId), CancellationToken.None);
        return taskId;
    }

    private ValueTask<StateChange> MoveAsync(string taskId, TaskState to, IReadOnlyCollection<CredentialKind>? revoke = null) =>
        _store.ChangeStateAsync(new StateChangeRequest(taskId, to, TaskStateMachine.SourcesOf(to), Start.AddSeconds(7).AddMilliseconds(250), "why", revoke ?? [], RevocationReasons.TaskCompleted, TestAudit.For(taskId)), CancellationToken.None);

    [Test]
    public async Task A_continuation_overtaken_by_others_changes_nothing_even_when_they_restored_the_deadline_it_read()
    {
        var taskId = await CreateAsync();
        var read = await _store.GetTaskAsync(taskId, CancellationToken.None);
        CredentialRecord Fresh(string jti, DateTimeOffset deadline) => new(jti, taskId, CredentialKind.Task, null, "spiffe://a.example/agent", Start, deadline);
        ValueTask<StateChange> ContinueAsync(CredentialRecord token, long expected) =>
            _store.ContinueTaskAsync(taskId, token, TaskStateMachine.SourcesOf(TaskState.Completed), expected, Start, TestAudit.For(taskId), CancellationToken.None);

        // Two continuations of the same read: the first moves the deadline, a third (reading after it) moves it back to
        // where the second one read it. The second must still be refused: it read a task that has changed twice since.
        var first = await ContinueAsync(Fresh("jti-first", Start.AddMinutes(11)), read!.Continuations);
        var afterFirst = await _store.GetTaskAsync(taskId, CancellationToken.None);
        var third = await ContinueAsync(Fresh("jti-third", Start.AddMinutes(10)), afterFirst!.Continuations);
        var second = await ContinueAsync(Fresh("jti-second", Start.AddMinutes(12)), read.Continuations);
        var view = await _store.GetTaskAsync(taskId, CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(read.Continuations, Is.Zero);
            Assert.That(first.Outcome, Is.EqualTo(StateChangeOutcome.Changed));
            Assert.That(third.Outcome, Is.EqualTo(StateChangeOutcome.Changed), "a continuation that read the current task");
            Assert.That(second.Outcome, Is.EqualTo(StateChangeOutcome.Unchanged), "overtaken, though the deadline is the one it read");
            Assert.That(view!.Continuations, Is.EqualTo(2));
            Assert.That(view.Task.ExpiresAt, Is.EqualTo(Start.AddMinutes(10)));
            Assert.That(view.Credentials.Select(c => c.Jti), Is.EquivalentTo(new[] { "jti-1", "jti-first", "jti-third" }), "the overtaken one recorded no token");
        });
    }

    [Test]
    public async Task A_continuation_repeated_after_a_lost_reply_answers_the_same_and_does_nothing_twice()
    {
        var taskId = await CreateAsync();
        var read = await _store.GetTaskAsync(taskId, CancellationToken.None);
        var fresh = new CredentialRecord("jti-continued", taskId, CredentialKind.Task, null, "spiffe://a.example/agent", Start, Start.AddMinutes(11));
        ValueTask<StateChange> ContinueAsync(CredentialRecord token) =>
            _store.ContinueTaskAsync(taskId, token, TaskStateMachine.SourcesOf(TaskState.Completed), read!.Continuations, Start, TestAudit.For(taskId), CancellationToken.None);

        var first = await ContinueAsync(fresh);
        var retried = await ContinueAsync(fresh);                             // the same request again: its reply was lost
        var another = await ContinueAsync(fresh with { Jti = "jti-another" }); // another continuation of the same read
        var view = await _store.GetTaskAsync(taskId, CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(first.Outcome, Is.EqualTo(StateChangeOutcome.Changed));
            Assert.That(retried.Outcome, Is.EqualTo(StateChangeOutcome.Changed), "the retry learns it ran");
            Assert.That(retried.Recorded?.Status, Is.EqualTo(first.Recorded?.Status), "the same token, the same status entry");
            Assert.That(another.Outcome, Is.EqualTo(StateChangeOutcome.Unchanged));
            Assert.That(view!.Continuations, Is.EqualTo(1), "counted once");
            Assert.That(view.Credentials.Select(c => c.Jti), Is.EquivalentTo(new[] { "jti-1", "jti-continued" }));
        });
    }

    [Test]
    public async Task A_created_task_reads_back_exactly()
    {
        var taskId = NewTaskId();
        var created = await _store.CreateTaskAsync(Task(taskId), Token(taskId), TestAudit.For(Task(taskId).TaskId), CancellationToken.None);
        var view = await _store.GetTaskAsync(taskId, CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(created.Created, Is.True);
            Assert.That(Json(view!.Task), Is.EqualTo(Json(Task(taskId))));
            Assert.That(view.Credentials, Has.Count.EqualTo(1));
            Assert.That(Json(view.Credentials[0]), Is.EqualTo(Json(Token(taskId) with { Status = created.TaskToken.Status })));
            Assert.That(created.TaskToken.Status, Is.Not.Null, "the store allocates the token's status list entry");
        });
    }

    [Test]
    public async Task Creating_an_existing_task_returns_what_is_stored_and_changes_nothing()
    {
        var taskId = NewTaskId();
        await _store.CreateTaskAsync(Task(taskId), Token(taskId), TestAudit.For(Task(taskId).TaskId), CancellationToken.None);
        var again = await _store.CreateTaskAsync(Task(taskId, promptId: "different"), Token(taskId, jti: "jti-2"), TestAudit.For(Task(taskId, promptId: "different").TaskId), CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(again.Created, Is.False);
            Assert.That(again.Task.Origin!.PromptId, Is.EqualTo("p-77"));
            Assert.That(again.TaskToken.Jti, Is.EqualTo("jti-1"));
        });
    }

    [Test]
    public async Task Unknown_tasks_and_credentials_read_as_null()
    {
        var taskId = await CreateAsync();

        Assert.Multiple(async () =>
        {
            Assert.That(await _store.GetTaskAsync(NewTaskId(), CancellationToken.None), Is.Null);
            Assert.That(await _store.GetCredentialAsync(NewTaskId(), "jti-1", CancellationToken.None), Is.Null);
            Assert.That(await _store.GetCredentialAsync(taskId, "no-such-jti", CancellationToken.None), Is.Null);
            Assert.That(await _store.GetCredentialAsync(taskId, "jti-1", CancellationToken.None), Is.Not.Null);
        });
    }

    [Test]
    public async Task GetCredential_returns_the_credential_with_its_task_state_and_creator()
    {
        var taskId = await CreateAsync();
        await MoveAsync(taskId, TaskState.Running);
        var lookup = await _store.GetCredentialAsync(taskId, "jti-1", CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(Json(lookup!.Credential), Is.EqualTo(Json(Token(taskId) with { Status = lookup.Credential.Status })));
            Assert.That(lookup.Credential.Status, Is.Not.Null);
            Assert.That(lookup.Task.State, Is.EqualTo(TaskState.Running));
            Assert.That(lookup.Task.CreatedBy, Is.EqualTo("spiffe://a.example/orchestrator"));
            Assert.That(lookup.Task.MayAct, Is.EqualTo(new[] { "spiffe://a.example/agents/sub/" }));
        });
    }

    [Test]
    public async Task Key_bindings_read_back_on_task_tokens_and_derived_credentials_and_their_absence_too()
    {
        var taskId = NewTaskId();
        var bound = Token(taskId) with { Binding = KeyBinding.Jkt(new string('j', 42) + "A") };
        await _store.CreateTaskAsync(Task(taskId), bound, TestAudit.For(Task(taskId).TaskId), CancellationToken.None);
        var child = new CredentialRecord("jti-2", taskId, CredentialKind.AccessToken, "jti-1", "spiffe://a.example/agent", Start, Start.AddMinutes(5),
            Audience: "postgres://payments", Binding: KeyBinding.X5tS256(new string('x', 42) + "A"));
        var unbound = child with { Jti = "jti-3", Binding = null };
        await _store.AddCredentialAsync(child, [TaskState.Created], Start, 100, TestAudit.For(child.TaskId), CancellationToken.None);
        await _store.AddCredentialAsync(unbound, [TaskState.Created], Start, 100, TestAudit.For(unbound.TaskId), CancellationToken.None);
        var view = await _store.GetTaskAsync(taskId, CancellationToken.None);

        Assert.Multiple(async () =>
        {
            Assert.That((await _store.GetCredentialAsync(taskId, "jti-1", CancellationToken.None))!.Credential.Binding, Is.EqualTo(bound.Binding));
            Assert.That((await _store.GetCredentialAsync(taskId, "jti-2", CancellationToken.None))!.Credential.Binding, Is.EqualTo(child.Binding));
            Assert.That(view!.Credentials.Select(c => c.Binding), Is.EqualTo(new[] { bound.Binding, child.Binding, null }));
        });
    }

    [Test]
    public async Task Text_with_control_characters_and_unicode_is_stored_verbatim()
    {
        const string hostile = "p-77\r\nX-Injected: yes\u001b[31m \"quoted\" {json} ünïcødé 🔑";
        var taskId = await CreateAsync(promptId: hostile);
        var view = await _store.GetTaskAsync(taskId, CancellationToken.None);
        Assert.That(view!.Task.Origin!.PromptId, Is.EqualTo(hostile));
    }

    [Test]
    public async Task A_legal_transition_changes_state_and_revokes_the_requested_kinds_atomically()
    {
        var taskId = await CreateAsync();
        var change = await MoveAsync(taskId, TaskState.Completed, AllKinds);
        var view = await _store.GetTaskAsync(taskId, CancellationToken.None);
        var credential = view!.Credentials[0];

        Assert.Multiple(() =>
        {
            Assert.That(change, Is.EqualTo(new StateChange(StateChangeOutcome.Changed, TaskState.Created, 1)));
            Assert.That(view.Task.State, Is.EqualTo(TaskState.Completed));
            Assert.That(view.Task.StateChangedAt, Is.EqualTo(Start.AddSeconds(7).AddMilliseconds(250)));
            Assert.That(view.Task.StateReason, Is.EqualTo("why"));
            Assert.That(credential.RevokedAt, Is.EqualTo(Start.AddSeconds(7).AddMilliseconds(250)));
            Assert.That(credential.RevocationReason, Is.EqualTo(RevocationReasons.TaskCompleted));
        });
    }

    [Test]
    public async Task A_transition_revokes_only_the_kinds_asked_for()
    {
        var taskId = await CreateAsync();
        await MoveAsync(taskId, TaskState.Running);
        var change = await MoveAsync(taskId, TaskState.Paused, [CredentialKind.AccessToken, CredentialKind.Secret]);
        var view = await _store.GetTaskAsync(taskId, CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(change.Revoked, Is.Zero);
            Assert.That(view!.Credentials[0].RevokedAt, Is.Null);
        });
    }

    [Test]
    public async Task An_illegal_transition_changes_nothing()
    {
        var taskId = await CreateAsync();
        var change = await MoveAsync(taskId, TaskState.Paused, AllKinds);
        var view = await _store.GetTaskAsync(taskId, CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(change, Is.EqualTo(new StateChange(StateChangeOutcome.Illegal, TaskState.Created, 0)));
            Assert.That(view!.Task.State, Is.EqualTo(TaskState.Created));
            Assert.That(view.Task.StateChangedAt, Is.EqualTo(Start));
            Assert.That(view.Credentials[0].RevokedAt, Is.Null);
        });
    }

    [Test]
    public async Task Moving_to_the_current_state_is_unchanged_and_keeps_the_first_revocation()
    {
        var taskId = await CreateAsync();
        await MoveAsync(taskId, TaskState.Completed, AllKinds);
        var again = await _store.ChangeStateAsync(
            new StateChangeRequest(taskId, TaskState.Completed, TaskStateMachine.SourcesOf(TaskState.Completed), Start.AddMinutes(1), "later", AllKinds, RevocationReasons.TaskCompleted, TestAudit.For(taskId)),
            CancellationToken.None);
        var view = await _store.GetTaskAsync(taskId, CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(again, Is.EqualTo(new StateChange(StateChangeOutcome.Unchanged, TaskState.Completed, 0)));
            Assert.That(view!.Task.StateReason, Is.EqualTo("why"));
            Assert.That(view.Credentials[0].RevokedAt, Is.EqualTo(Start.AddSeconds(7).AddMilliseconds(250)));
        });
    }

    [Test]
    public async Task A_transition_of_an_unknown_task_is_not_found() =>
        Assert.That((await MoveAsync(NewTaskId(), TaskState.Running)).Outcome, Is.EqualTo(StateChangeOutcome.NotFound));

    [Test]
    public async Task Concurrent_terminal_transitions_succeed_exactly_once()
    {
        var taskId = await CreateAsync();
        var targets = Enumerable.Range(0, 30).Select(i => (TaskState)((int)TaskState.Completed + (i % 3)));

        var results = await System.Threading.Tasks.Task.WhenAll(targets.Select(t => MoveAsync(taskId, t, AllKinds).AsTask()));

        Assert.Multiple(() =>
        {
            Assert.That(results.Count(r => r.Outcome == StateChangeOutcome.Changed), Is.EqualTo(1));
            Assert.That(results.Sum(r => r.Revoked), Is.EqualTo(1));
            Assert.That(results.Where(r => r.Outcome != StateChangeOutcome.Changed).Select(r => r.Outcome),
                Is.All.EqualTo(StateChangeOutcome.Illegal).Or.EqualTo(StateChangeOutcome.Unchanged));
        });
    }

    [Test]
    public async Task RevokeSubtree_revokes_once_and_reports_how_many_it_revoked()
    {
        var taskId = await CreateAsync();
        var first = await _store.RevokeSubtreeAsync(taskId, "jti-1", Start.AddSeconds(3), RevocationReasons.Holder, TestAudit.For(taskId), CancellationToken.None);
        var second = await _store.RevokeSubtreeAsync(taskId, "jti-1", Start.AddSeconds(9), RevocationReasons.Bulk, TestAudit.For(taskId), CancellationToken.None);
        var lookup = await _store.GetCredentialAsync(taskId, "jti-1", CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(first, Is.EqualTo(1));
            Assert.That(second, Is.Zero);
            Assert.That(lookup!.Credential.RevokedAt, Is.EqualTo(Start.AddSeconds(3)));
            Assert.That(lookup.Credential.RevocationReason, Is.EqualTo(RevocationReasons.Holder));
        });
    }

    [Test]
    public async Task RevokeSubtree_of_unknown_credentials_revokes_nothing()
    {
        var taskId = await CreateAsync();

        Assert.Multiple(async () =>
        {
            Assert.That(await _store.RevokeSubtreeAsync(taskId, "no-such-jti", Start, RevocationReasons.Holder, TestAudit.For(taskId), CancellationToken.None), Is.Zero);
            Assert.That(await _store.RevokeSubtreeAsync(NewTaskId(), "jti-1", Start, RevocationReasons.Holder, TestAudit.For(NewTaskId()), CancellationToken.None), Is.Zero);
        });
    }

    [Test]
    public async Task An_idempotency_key_is_claimed_once_and_then_returns_the_first_claim()
    {
        var first = new IdempotencyRecord(Guid.NewGuid().ToString("N"), "hash-a", "tsk_a", "jti-a", Start);
        var second = first with { RequestHash = "hash-b", TaskId = "tsk_b", Jti = "jti-b", IssuedAt = Start.AddSeconds(1) };

        var before = await _store.FindIdempotencyKeyAsync(first.Key, CancellationToken.None);
        var claimed = await _store.ClaimIdempotencyKeyAsync(first, TimeSpan.FromHours(1), CancellationToken.None);
        var found = await _store.FindIdempotencyKeyAsync(first.Key, CancellationToken.None);
        var replay = await _store.ClaimIdempotencyKeyAsync(second, TimeSpan.FromHours(1), CancellationToken.None);
        var other = await _store.ClaimIdempotencyKeyAsync(second with { Key = Guid.NewGuid().ToString("N") }, TimeSpan.FromHours(1), CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(before, Is.Null);
            Assert.That(found, Is.EqualTo(first));
            Assert.That(claimed, Is.EqualTo(first));
            Assert.That(replay, Is.EqualTo(first));
            Assert.That(other.TaskId, Is.EqualTo("tsk_b"));
        });
    }

    private static CredentialRecord Child(string taskId, string jti, string parent, CredentialKind kind = CredentialKind.Delegated, int depth = 1, DateTimeOffset? expiresAt = null) =>
        new(jti, taskId, kind, parent, "spiffe://a.example/agents/sub", Start.AddSeconds(1), expiresAt ?? Start.AddMinutes(5),
            Audience: kind == CredentialKind.AccessToken ? "postgres://payments" : null, Depth: depth, Policy: new PolicyReference("allow-x", "sha256:abc"));

    private static readonly TaskState[] Open = [TaskState.Created, TaskState.Running];

    private async ValueTask<CredentialAddition> AddAsync(CredentialRecord credential, DateTimeOffset? now = null) =>
        (await _store.AddCredentialAsync(credential, Open, now ?? Start.AddSeconds(1), 1000, TestAudit.For(credential.TaskId), CancellationToken.None)).Outcome;

    [Test]
    public async Task A_derived_credential_is_recorded_under_its_parent_with_everything_it_carries()
    {
        var taskId = await CreateAsync();
        var child = Child(taskId, "jti-2", "jti-1", CredentialKind.AccessToken, depth: 0);

        var added = await AddAsync(child);
        var view = await _store.GetTaskAsync(taskId, CancellationToken.None);
        var lookup = await _store.GetCredentialAsync(taskId, "jti-2", CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(added, Is.EqualTo(CredentialAddition.Added));
            Assert.That(view!.Credentials.Select(c => c.Jti), Is.EqualTo(new[] { "jti-1", "jti-2" }));
            Assert.That(Json(lookup!.Credential), Is.EqualTo(Json(child with { Status = lookup.Credential.Status })));
            Assert.That(lookup.Credential.Status, Is.Not.Null);
        });
    }

    [Test]
    public async Task A_transaction_token_and_its_replacement_read_back_as_such_and_a_pause_revokes_them_but_not_the_task_token()
    {
        var taskId = await CreateAsync();
        await MoveAsync(taskId, TaskState.Running);
        var txn = Child(taskId, "jti-2", "jti-1", CredentialKind.TxnToken, depth: 0) with { Audience = "corp.example" };
        var replacement = Child(taskId, "jti-3", "jti-2", CredentialKind.TxnToken, depth: 0) with { Audience = "corp.example", Holder = "spiffe://a.example/agents/other" };

        var added = (await AddAsync(txn), await AddAsync(replacement));
        var lookup = await _store.GetCredentialAsync(taskId, "jti-3", CancellationToken.None);
        var change = await MoveAsync(taskId, TaskState.Paused, StateRevocation.Default.RevokedOnEntering("wf-invoices", TaskState.Paused));
        var view = await _store.GetTaskAsync(taskId, CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(added, Is.EqualTo((CredentialAddition.Added, CredentialAddition.Added)));
            Assert.That(Json(lookup!.Credential), Is.EqualTo(Json(replacement with { Status = lookup.Credential.Status })));
            Assert.That(lookup.Credential.Status, Is.Not.Null, "a transaction token has its status list entry like every token");
            Assert.That(lookup.Ancestors.Select(a => a.Jti), Is.EqualTo(new[] { "jti-1", "jti-2" }));
            Assert.That(change.Revoked, Is.EqualTo(2));
            Assert.That(view!.Credentials.Where(c => c.RevokedAt is not null).Select(c => c.Jti), Is.EquivalentTo(new[] { "jti-2", "jti-3" }));
        });
    }

    [Test]
    public async Task A_child_of_a_revoked_or_expired_parent_or_of_a_closed_task_is_refused_and_not_recorded()
    {
        var revokedParent = await CreateAsync();
        await _store.RevokeSubtreeAsync(revokedParent, "jti-1", Start, RevocationReasons.Holder, TestAudit.For(revokedParent), CancellationToken.None);
        var expiredParent = await CreateAsync();
        var closedTask = await CreateAsync();
        await MoveAsync(closedTask, TaskState.Completed);
        var pausedTask = await CreateAsync();
        await MoveAsync(pausedTask, TaskState.Running);
        await MoveAsync(pausedTask, TaskState.Paused);
        var liveTask = await CreateAsync();

        var results = new[]
        {
            await AddAsync(Child(revokedParent, "c", "jti-1")),
            await AddAsync(Child(expiredParent, "c", "jti-1"), now: Start.AddMinutes(10)),
            await AddAsync(Child(closedTask, "c", "jti-1")),
            await AddAsync(Child(pausedTask, "c", "jti-1")),
            await AddAsync(Child(liveTask, "c", "no-such-parent")),
            await AddAsync(Child(NewTaskId(), "c", "jti-1")),
            await AddAsync(Child(liveTask, "c", "jti-1")),
        };

        Assert.Multiple(async () =>
        {
            Assert.That(results, Is.EqualTo(new[]
            {
                CredentialAddition.ParentInactive, CredentialAddition.ParentInactive, CredentialAddition.TaskClosed, CredentialAddition.TaskClosed,
                CredentialAddition.ParentInactive, CredentialAddition.TaskNotFound, CredentialAddition.Added,
            }));
            Assert.That((await _store.GetTaskAsync(revokedParent, CancellationToken.None))!.Credentials, Has.Count.EqualTo(1));
            Assert.That((await _store.GetTaskAsync(closedTask, CancellationToken.None))!.Credentials, Has.Count.EqualTo(1));
        });
    }

    [Test]
    public async Task A_task_holds_at_most_its_cap_of_credentials_and_a_retried_addition_is_not_counted_twice()
    {
        var full = await CreateAsync();
        var other = await CreateAsync();
        var first = await _store.AddCredentialAsync(Child(full, "a", "jti-1"), Open, Start.AddSeconds(1), 3, TestAudit.For(Child(full, "a", "jti-1").TaskId), CancellationToken.None);
        var retried = await _store.AddCredentialAsync(Child(full, "a", "jti-1"), Open, Start.AddSeconds(1), 3, TestAudit.For(Child(full, "a", "jti-1").TaskId), CancellationToken.None);
        var second = await _store.AddCredentialAsync(Child(full, "b", "jti-1"), Open, Start.AddSeconds(1), 3, TestAudit.For(Child(full, "b", "jti-1").TaskId), CancellationToken.None);
        var third = await _store.AddCredentialAsync(Child(full, "c", "jti-1"), Open, Start.AddSeconds(1), 3, TestAudit.For(Child(full, "c", "jti-1").TaskId), CancellationToken.None);
        var elsewhere = await _store.AddCredentialAsync(Child(other, "c", "jti-1"), Open, Start.AddSeconds(1), 3, TestAudit.For(Child(other, "c", "jti-1").TaskId), CancellationToken.None);

        Assert.Multiple(async () =>
        {
            Assert.That(new[] { first, retried, second }.Select(a => a.Outcome), Is.All.EqualTo(CredentialAddition.Added));
            Assert.That(retried.Status, Is.EqualTo(first.Status).And.Not.Null, "a retried addition keeps its status list entry");
            Assert.That(second.Status, Is.Not.EqualTo(first.Status));
            Assert.That(third.Outcome, Is.EqualTo(CredentialAddition.TaskFull));
            Assert.That(elsewhere.Outcome, Is.EqualTo(CredentialAddition.Added), "the cap is per task");
            Assert.That((await _store.GetTaskAsync(full, CancellationToken.None))!.Credentials.Select(c => c.Jti), Is.EqualTo(new[] { "jti-1", "a", "b" }));
        });
    }

    [Test]
    public async Task Revoking_a_node_revokes_its_whole_subtree_three_levels_deep_and_nothing_else()
    {
        //        jti-1 (task)
        //        ├── a (delegated) ── b (delegated) ── c (access token)
        //        └── x (access token)
        var taskId = await CreateAsync();
        await AddAsync(Child(taskId, "a", "jti-1"));
        await AddAsync(Child(taskId, "b", "a", depth: 2));
        await AddAsync(Child(taskId, "c", "b", CredentialKind.AccessToken, depth: 2));
        await AddAsync(Child(taskId, "x", "jti-1", CredentialKind.AccessToken, depth: 0));

        var revoked = await _store.RevokeSubtreeAsync(taskId, "a", Start.AddSeconds(5), RevocationReasons.Holder, TestAudit.For(taskId), CancellationToken.None);
        var byJti = (await _store.GetTaskAsync(taskId, CancellationToken.None))!.Credentials.ToDictionary(c => c.Jti);

        Assert.Multiple(() =>
        {
            Assert.That(revoked, Is.EqualTo(3));
            Assert.That(byJti["a"].RevocationReason, Is.EqualTo(RevocationReasons.Holder));
            Assert.That(byJti["b"].RevocationReason, Is.EqualTo(RevocationReasons.Cascade));
            Assert.That(byJti["c"].RevocationReason, Is.EqualTo(RevocationReasons.Cascade));
            Assert.That(byJti["jti-1"].RevokedAt, Is.Null);
            Assert.That(byJti["x"].RevokedAt, Is.Null);
        });
    }

    [Test]
    public async Task GetCredential_returns_the_ancestors_from_the_task_token_down()
    {
        var taskId = await CreateAsync();
        await AddAsync(Child(taskId, "a", "jti-1"));
        await AddAsync(Child(taskId, "b", "a", depth: 2));
        await AddAsync(Child(taskId, "c", "b", CredentialKind.AccessToken, depth: 2));

        var leaf = await _store.GetCredentialAsync(taskId, "c", CancellationToken.None);
        var root = await _store.GetCredentialAsync(taskId, "jti-1", CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(leaf!.Ancestors.Select(c => c.Jti), Is.EqualTo(new[] { "jti-1", "a", "b" }));
            Assert.That(leaf.Chain.Select(c => c.Jti), Is.EqualTo(new[] { "jti-1", "a", "b", "c" }));
            Assert.That(Json(leaf.Ancestors[1]), Is.EqualTo(Json(Child(taskId, "a", "jti-1") with { Status = leaf.Ancestors[1].Status })));
            Assert.That(root!.Ancestors, Is.Empty);
        });
    }

    [Test]
    public async Task Credentials_minted_while_their_ancestor_is_revoked_are_refused_or_revoked_never_left_active()
    {
        var taskId = await CreateAsync();
        await AddAsync(Child(taskId, "a", "jti-1"));

        // Children of 'a' and grandchildren race a subtree revocation of the task token.
        var minting = Enumerable.Range(0, 40).Select(async i =>
        {
            await AddAsync(Child(taskId, $"a{i}", "a", depth: 2));
            await AddAsync(Child(taskId, $"a{i}-at", $"a{i}", CredentialKind.AccessToken, depth: 2));
        }).ToList();
        var revoking = _store.RevokeSubtreeAsync(taskId, "jti-1", Start.AddSeconds(2), RevocationReasons.Holder, TestAudit.For(taskId), CancellationToken.None).AsTask();
        await System.Threading.Tasks.Task.WhenAll([.. minting, revoking]);

        var credentials = (await _store.GetTaskAsync(taskId, CancellationToken.None))!.Credentials;
        Assert.Multiple(() =>
        {
            Assert.That(credentials.Where(c => c.RevokedAt is null).Select(c => c.Jti), Is.Empty);
            Assert.That(credentials.Count, Is.GreaterThanOrEqualTo(2));
        });
    }

    [Test]
    public void Ping_answers_when_the_store_is_up() =>
        Assert.That(async () => await _store.PingAsync(CancellationToken.None), Throws.Nothing);
}
