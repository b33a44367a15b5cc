using CredentialBroker.Abstractions;
using CredentialBroker.Abstractions.Storage;
using CredentialBroker.Abstractions.Tasks;
using CredentialBroker.Core;
using CredentialBroker.Core.Tasks;
using CredentialBroker.Testing;
using Microsoft.Extensions.Time.Testing;

namespace CredentialBroker.Redis.Tests;

/// <summary>
/// <c>WaitForReplicas</c> against a real primary with a real replica: an acknowledged write is on the replica when the
/// store returns; with no replica to confirm it, the store fails closed and reads go on working; a replay of a record no
/// replica confirmed is confirmed before it is handed out again.
/// </summary>
[NonParallelizable]
public sealed class ReplicaWaitTests : IAsyncDisposable
{
    private static readonly DateTimeOffset Start = TimeProvider.System.GetUtcNowSeconds();
    private static readonly TimeSpan LinkTimeout = TimeSpan.FromSeconds(30);
    private readonly FakeTimeProvider _time = new(Start);
    private readonly StoreFactory _factory = new();
    private RedisServer _primary = null!;
    private RedisServer _replica = null!;

    [SetUp]
    public async Task StartAsync()
    {
        _primary = await RedisServer.StartPrivateAsync();
        _replica = await RedisServer.StartPrivateAsync("--replicaof", "127.0.0.1", _primary.Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await WaitForLinkAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await _factory.DisposeAsync();
        await _replica.DisposeAsync();
        await _primary.DisposeAsync();
    }

    private ICredentialStore Store(int replicas = 1) => _factory.Create(_time, _primary.ConnectionString, o =>
    {
        o.WaitForReplicas = replicas;
        o.ReplicaWaitTimeout = TimeSpan.FromMilliseconds(200);
        o.RetryAttempts = 0;
    });

    private Task WaitForLinkAsync() => Poll.UntilAsync(async () =>
    {
        await using var connection = await RespConnection.ConnectAsync("127.0.0.1", _replica.Port);
        return (await connection.SendAsync("INFO", "replication")).Text!.Contains("master_link_status:up", StringComparison.Ordinal);
    }, LinkTimeout, "the replica's link to its primary is up");

    private static async Task<bool> HasAsync(RedisServer server, string key)
    {
        await using var connection = await RespConnection.ConnectAsync("127.0.0.1", server.Port);
        return (await connection.SendAsync("EXISTS", key)).Text == "1";
    }

    private static TaskRecord Task(string taskId) => new(
        taskId, "spiffe://a.example/agent", new WorkflowRef("wf", null, null), [new AuthorizationGrant("t", "postgres://x", ["read"], null)], null, null, 0, [],
        "spiffe://a.example/orchestrator", Start, Start.AddMinutes(10), TaskState.Created, Start, null);

    private static CredentialRecord Token(string taskId) => new("jti-1", taskId, CredentialKind.Task, null, "spiffe://a.example/agent", Start, Start.AddMinutes(10));

    private static StateChangeRequest Complete(string taskId) =>
        new(taskId, TaskState.Completed, TaskStateMachine.SourcesOf(TaskState.Completed), Start, null, [CredentialKind.Task], RevocationReasons.TaskCompleted, TestAudit.For(taskId));

    private static string NewTaskId() => "tsk_" + Guid.NewGuid().ToString("N");

    [Test]
    public async Task An_acknowledged_write_is_on_the_replica_and_one_no_replica_confirms_fails_closed_while_reads_go_on()
    {
        var store = Store();
        var keys = new RedisKeys(_factory.Options);
        var acknowledged = NewTaskId();
        await store.CreateTaskAsync(Task(acknowledged), Token(acknowledged), TestAudit.For(Task(acknowledged).TaskId), CancellationToken.None);
        var onReplica = await HasAsync(_replica, (string)keys.Task(acknowledged)!);

        await _replica.StopAsync();
        var unconfirmed = NewTaskId();
        var create = await Assert.ThrowsAsync<StoreUnavailableException>(async () => await store.CreateTaskAsync(Task(unconfirmed), Token(unconfirmed), TestAudit.For(Task(unconfirmed).TaskId), CancellationToken.None));
        var revoke = await Assert.ThrowsAsync<StoreUnavailableException>(async () => await store.ChangeStateAsync(Complete(acknowledged), CancellationToken.None));
        var read = await store.GetTaskAsync(acknowledged, CancellationToken.None);
        var leftOnPrimary = await HasAsync(_primary, (string)keys.Task(unconfirmed)!);

        await _replica.StartAsync();
        await WaitForLinkAsync();
        var revokedAgain = await store.ChangeStateAsync(Complete(acknowledged), CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(onReplica, Is.True, "on the replica by the time the store returned");
            Assert.That(create!.InnerException!.Message, Does.StartWith("0 of the 1 replicas required acknowledged the write"));
            Assert.That(revoke!.InnerException, Is.TypeOf<ReplicaAcknowledgementException>());
            Assert.That(read!.Task.State, Is.EqualTo(TaskState.Completed), "reads need no replica; the unconfirmed revocation is in force on the primary all the same");
            Assert.That(leftOnPrimary, Is.True, "written but never acknowledged: the primary keeps it, nobody was handed a token for it");
            Assert.That(revokedAgain.Outcome, Is.EqualTo(StateChangeOutcome.Unchanged), "the retry after the 503 finds its first attempt applied, and is acknowledged now");
        });
    }

    [Test]
    public async Task A_replay_of_a_claim_no_replica_confirmed_is_confirmed_before_it_is_handed_out()
    {
        var store = Store();
        var claim = new IdempotencyRecord(Guid.NewGuid().ToString("N"), "hash", NewTaskId(), "jti-1", Start);
        await _replica.StopAsync();
        var claiming = await Assert.ThrowsAsync<StoreUnavailableException>(async () => await store.ClaimIdempotencyKeyAsync(claim, TimeSpan.FromHours(1), CancellationToken.None));
        var finding = await Assert.ThrowsAsync<StoreUnavailableException>(async () => await store.FindIdempotencyKeyAsync(claim.Key, CancellationToken.None));

        await _replica.StartAsync();
        await WaitForLinkAsync();
        var found = await store.FindIdempotencyKeyAsync(claim.Key, CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(claiming, Is.Not.Null);
            Assert.That(finding, Is.Not.Null, "the claim is on the primary, but no replica has it: not handed out");
            Assert.That(found, Is.EqualTo(claim));
        });
    }

    [Test]
    public void Waiting_for_more_replicas_than_the_primary_has_fails_every_write_and_the_same_write_with_as_many_succeeds()
    {
        var taskId = NewTaskId();
        Assert.Multiple(() =>
        {
            Assert.That(async () => await Store(replicas: 2).CreateTaskAsync(Task(taskId), Token(taskId), TestAudit.For(Task(taskId).TaskId), CancellationToken.None), Throws.TypeOf<StoreUnavailableException>());
            Assert.That(async () => await Store(replicas: 1).CreateTaskAsync(Task(taskId), Token(taskId), TestAudit.For(Task(taskId).TaskId), CancellationToken.None), Throws.Nothing);
        });
    }

    [Test]
    public async Task Concurrent_writes_share_their_replica_waits()
    {
        var store = Store();
        const int Writes = 200;
        await System.Threading.Tasks.Task.WhenAll(Enumerable.Range(0, Writes).Select(async _ =>
        {
            var taskId = NewTaskId();
            await store.CreateTaskAsync(Task(taskId), Token(taskId), TestAudit.For(Task(taskId).TaskId), CancellationToken.None);
        }));

        await using var connection = await RespConnection.ConnectAsync("127.0.0.1", _primary.Port);
        var stats = (await connection.SendAsync("INFO", "commandstats")).Text!;
        var waits = long.Parse(stats.Split('\n').Single(l => l.StartsWith("cmdstat_wait:", StringComparison.Ordinal)).Split(['=', ','])[1], System.Globalization.CultureInfo.InvariantCulture);

        Assert.That(waits, Is.InRange(1, Writes - 1), "one wait in flight at a time; the writes that finish meanwhile share the next");
    }
}
