using CredentialBroker.Testing;
using CredentialBroker.Abstractions;
using CredentialBroker.Abstractions.Storage;
using CredentialBroker.Abstractions.Tasks;
using CredentialBroker.Core;
using CredentialBroker.Core.Tasks;
using Microsoft.Extensions.Time.Testing;

namespace CredentialBroker.Redis.Tests;

/// <summary>
/// Token Status Lists, one contract for both stores: every token gets an entry of its own when it is recorded, and every
/// revocation sets the bits of exactly the tokens it revokes, in the same step.
/// </summary>
[TestFixture(StoreKind.Embedded)]
[TestFixture(StoreKind.Redis)]
[TestFixture(StoreKind.RedisCluster)]
public sealed class StatusListContractTests(StoreKind kind) : IAsyncDisposable
{
    private static readonly DateTimeOffset Start = TimeProvider.System.GetUtcNowSeconds();
    private static readonly TaskState[] Open = [TaskState.Created, TaskState.Running];
    private readonly FakeTimeProvider _time = new(Start);
    private readonly StoreFactory _factory = new();
    private ICredentialStore _store = null!;
    private IStatusListStore _lists = null!;

    [SetUp]
    public async Task SetUp()
    {
        _store = await _factory.CreateAsync(kind, _time);
        _lists = _factory.StatusLists;
    }

    public ValueTask DisposeAsync() => _factory.DisposeAsync();

    private static TaskRecord Task(string taskId) => new(
        taskId, "spiffe://a.example/agent", new WorkflowRef("wf", "team", "1"),
        [new AuthorizationGrant("sql.query", "postgres://payments", ["read"], null)], null, null, 3, ["spiffe://a.example/agents/sub/"],
        "spiffe://a.example/orchestrator", Start, Start.AddMinutes(10), TaskState.Created, Start, null);

    private async Task<(string TaskId, StatusListEntry Entry)> CreateAsync()
    {
        var taskId = "tsk_" + Guid.NewGuid().ToString("N");
        var created = await _store.CreateTaskAsync(Task(taskId), new CredentialRecord("root", taskId, CredentialKind.Task, null, "spiffe://a.example/agent", Start, Start.AddMinutes(10)),
            TestAudit.For(taskId), CancellationToken.None);
        return (taskId, created.TaskToken.Status!);
    }

    private async Task<StatusListEntry?> AddAsync(string taskId, string jti, string parent, CredentialKind kind = CredentialKind.Delegated, SecretReference? secret = null)
    {
        var credential = new CredentialRecord(jti, taskId, kind, parent, "spiffe://a.example/agents/sub", Start, Start.AddMinutes(5),
            Audience: kind is CredentialKind.AccessToken or CredentialKind.Secret ? "postgres://payments" : null, Depth: 1, Secret: secret);
        var added = await _store.AddCredentialAsync(credential, Open, Start, 1000, TestAudit.For(taskId), CancellationToken.None);
        Assert.That(added.Outcome, Is.EqualTo(CredentialAddition.Added));
        return added.Status;
    }

    private async Task<int?> BitAsync(StatusListEntry entry) =>
        await _lists.GetListAsync(entry.List, CancellationToken.None) is { } bits ? StatusLists.StatusOf(bits, entry.Index) : null;

    [Test]
    public async Task Every_token_gets_an_entry_of_its_own_and_keeps_it_while_a_secret_gets_none()
    {
        var (taskId, root) = await CreateAsync();
        var delegated = await AddAsync(taskId, "d1", "root");
        var access = await AddAsync(taskId, "a1", "d1", CredentialKind.AccessToken);
        var secret = await AddAsync(taskId, "s1", "root", CredentialKind.Secret, new SecretReference("db", "postgresql", "cb_user", null));
        var (_, other) = await CreateAsync();
        var view = await _store.GetTaskAsync(taskId, CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(new[] { root, delegated, access, other }, Is.All.Not.Null);
            Assert.That(new[] { root, delegated, access, other }, Is.Unique);
            Assert.That(secret, Is.Null, "a downstream secret is not a token");
            Assert.That(view!.Credentials.ToDictionary(c => c.Jti, c => c.Status), Is.EquivalentTo(new Dictionary<string, StatusListEntry?>
            {
                ["root"] = root, ["d1"] = delegated, ["a1"] = access, ["s1"] = null,
            }));
            Assert.That(root.Index, Is.InRange(0, StatusLists.Size - 1));
        });
    }

    [Test]
    public async Task Revoking_a_subtree_sets_the_bits_of_its_tokens_and_of_no_other()
    {
        var (taskId, root) = await CreateAsync();
        var delegated = (await AddAsync(taskId, "d1", "root"))!;
        var grandchild = (await AddAsync(taskId, "a1", "d1", CredentialKind.AccessToken))!;
        var sibling = (await AddAsync(taskId, "a2", "root", CredentialKind.AccessToken))!;
        var (_, other) = await CreateAsync();

        var before = await BitAsync(delegated);
        var revoked = await _store.RevokeSubtreeAsync(taskId, "d1", Start.AddSeconds(1), RevocationReasons.Bulk, TestAudit.For(taskId), CancellationToken.None);

        Assert.Multiple(async () =>
        {
            Assert.That(before, Is.EqualTo(0), "valid until revoked");
            Assert.That(revoked, Is.EqualTo(2));
            Assert.That(await BitAsync(delegated), Is.EqualTo(1));
            Assert.That(await BitAsync(grandchild), Is.EqualTo(1), "a cascade sets its descendants' bits too");
            Assert.That(await BitAsync(root), Is.EqualTo(0));
            Assert.That(await BitAsync(sibling), Is.EqualTo(0));
            Assert.That(await BitAsync(other), Is.EqualTo(0));
        });
    }

    [Test]
    public async Task Revoking_many_subtrees_at_once_sets_the_bits_of_their_tokens_and_of_no_other()
    {
        var tasks = new List<(string TaskId, StatusListEntry Root)>();
        for (var i = 0; i < 6; i++)
        {
            tasks.Add(await CreateAsync());
        }

        var delegated = (await AddAsync(tasks[0].TaskId, "d1", "root"))!;
        var sibling = (await AddAsync(tasks[1].TaskId, "a2", "root", CredentialKind.AccessToken))!;
        var (_, untouched) = await CreateAsync();

        // The first task's subtree under d1, the other tasks' whole trees.
        var revoked = await _store.RevokeSubtreesAsync(
            [new SubtreeRevocation(tasks[0].TaskId, "d1", Start.AddSeconds(1), RevocationReasons.Bulk, TestAudit.For(tasks[0].TaskId)),
             .. tasks.Skip(1).Select(t => new SubtreeRevocation(t.TaskId, "root", Start.AddSeconds(1), RevocationReasons.Bulk, TestAudit.For(t.TaskId)))],
            CancellationToken.None);

        Assert.Multiple(async () =>
        {
            Assert.That(revoked, Is.EqualTo(7));
            Assert.That(await BitAsync(delegated), Is.EqualTo(1));
            Assert.That(await BitAsync(tasks[0].Root), Is.EqualTo(0), "above the subtree");
            Assert.That(await BitAsync(sibling), Is.EqualTo(1), "a cascade sets its descendants' bits too");
            foreach (var (_, root) in tasks.Skip(1))
            {
                Assert.That(await BitAsync(root), Is.EqualTo(1));
            }

            Assert.That(await BitAsync(untouched), Is.EqualTo(0));
        });
    }

    [Test]
    public async Task A_state_change_that_revokes_sets_the_bits_and_one_that_does_not_leaves_them()
    {
        var (completed, completedRoot) = await CreateAsync();
        var child = (await AddAsync(completed, "a1", "root", CredentialKind.AccessToken))!;
        var (running, runningRoot) = await CreateAsync();

        await _store.ChangeStateAsync(new StateChangeRequest(completed, TaskState.Completed, TaskStateMachine.SourcesOf(TaskState.Completed), Start.AddSeconds(1), null,
            Enum.GetValues<CredentialKind>(), RevocationReasons.TaskCompleted, TestAudit.For(completed)), CancellationToken.None);
        await _store.ChangeStateAsync(new StateChangeRequest(running, TaskState.Running, TaskStateMachine.SourcesOf(TaskState.Running), Start.AddSeconds(1), null,
            [], RevocationReasons.TaskState, TestAudit.For(running)), CancellationToken.None);

        Assert.Multiple(async () =>
        {
            Assert.That(await BitAsync(completedRoot), Is.EqualTo(1));
            Assert.That(await BitAsync(child), Is.EqualTo(1));
            Assert.That(await BitAsync(runningRoot), Is.EqualTo(0));
        });
    }

    [Test]
    public async Task A_continuation_records_its_fresh_token_with_a_new_entry()
    {
        var (taskId, root) = await CreateAsync();
        var fresh = new CredentialRecord("root-2", taskId, CredentialKind.Task, null, "spiffe://a.example/agent", Start.AddMinutes(1), Start.AddMinutes(20));

        var change = await _store.ContinueTaskAsync(taskId, fresh, TaskStateMachine.SourcesOf(TaskState.Completed), 0, Start.AddMinutes(1), TestAudit.For(taskId), CancellationToken.None);
        var view = await _store.GetTaskAsync(taskId, CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(change.Recorded?.Status, Is.Not.Null.And.Not.EqualTo(root));
            Assert.That(view!.Credentials.Single(c => c.Jti == "root-2").Status, Is.EqualTo(change.Recorded!.Status));
        });
    }

    [Test]
    public async Task The_lists_name_every_allocated_list_and_no_unknown_one()
    {
        var (_, root) = await CreateAsync();
        var (shard, _) = (root.List.Split('-')[0], root.List.Split('-')[1]);

        var lists = await _lists.GetListsAsync(CancellationToken.None);
        var bits = await _lists.GetListAsync(root.List, CancellationToken.None);

        Assert.Multiple(async () =>
        {
            Assert.That(lists, Does.Contain(root.List));
            Assert.That(bits, Has.Length.EqualTo(StatusLists.Size / 8));
            Assert.That(await _lists.GetListAsync(shard + "-1", CancellationToken.None), Is.Null, "a generation not reached yet");
            Assert.That(await _lists.GetListAsync("9999-0", CancellationToken.None), Is.Null, "no such shard");
            Assert.That(await _lists.GetListAsync("00-0", CancellationToken.None), Is.Null, "not canonical");
            Assert.That(await _lists.GetListAsync("x", CancellationToken.None), Is.Null);
        });
    }
}
