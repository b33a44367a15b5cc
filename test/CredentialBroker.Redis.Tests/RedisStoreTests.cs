using CredentialBroker.Abstractions;
using CredentialBroker.Abstractions.Storage;
using CredentialBroker.Abstractions.Tasks;
using CredentialBroker.Core;
using CredentialBroker.Core.Tasks;
using CredentialBroker.EmbeddedStore;
using CredentialBroker.Testing;
using Microsoft.Extensions.Time.Testing;
using StackExchange.Redis;

namespace CredentialBroker.Redis.Tests;

/// <summary>What only the Redis store has to get right: key layout for Redis Cluster, the expiry index, retention, and failing closed.</summary>
public sealed class RedisStoreTests : IAsyncDisposable
{
    // Redis retention is absolute (PEXPIREAT), so the fake clock starts at the real time.
    private static readonly DateTimeOffset Start = TimeProvider.System.GetUtcNowSeconds();
    private readonly FakeTimeProvider _time = new(Start);
    private readonly StoreFactory _factory = new();

    public ValueTask DisposeAsync() => _factory.DisposeAsync();

    private static TaskRecord Task(string taskId) => new(
        taskId, "spiffe://a.example/agent", new WorkflowRef("wf", null, null),
        [new AuthorizationGrant("t", "postgres://x", ["read"], null)], null, null, 0, [],
        "spiffe://a.example/orchestrator", Start, Start.AddMinutes(10), TaskState.Created, Start, null);

    private static CredentialRecord Token(string taskId) =>
        new("jti-1", taskId, CredentialKind.Task, null, "spiffe://a.example/agent", Start, Start.AddMinutes(10));

    private ICredentialStore CreateStore() => _factory.Create(_time, RedisFixture.Server.ConnectionString);

    private static string NewTaskId() => "tsk_" + Guid.NewGuid().ToString("N");

    // A task id in the given SOC index shard.
    private static string TaskIdInShard(RedisKeys keys, int shard)
    {
        while (true)
        {
            var taskId = NewTaskId();
            if (keys.IndexShardOf(taskId) == shard)
            {
                return taskId;
            }
        }
    }

    [Test]
    public async Task A_holder_leaves_its_shards_holders_index_once_every_record_it_held_is_gone()
    {
        var store = CreateStore();
        var keys = new RedisKeys(_factory.Options);
        var gone = NewTaskId();
        var shard = keys.IndexShardOf(gone);
        await store.CreateTaskAsync(Task(gone), Token(gone), TestAudit.For(Task(gone).TaskId), CancellationToken.None);
        var db = _factory.Connection.GetDatabase();
        var before = await db.SortedSetRangeByValueAsync(keys.HoldersIndex(shard));

        // Past the task's deadline and its record retention: its records (and its holder's index) have expired. The next
        // task indexed in the same shard prunes the holder.
        _time.Advance(TimeSpan.FromMinutes(11) + StoreFactory.BrokerOptions.Value.RecordRetention);
        var later = TaskIdInShard(keys, shard);
        await store.CreateTaskAsync(Task(later) with { Agent = "spiffe://a.example/other", CreatedAt = _time.GetUtcNow(), ExpiresAt = _time.GetUtcNow().AddMinutes(10) },
            Token(later) with { Holder = "spiffe://a.example/other", IssuedAt = _time.GetUtcNow(), ExpiresAt = _time.GetUtcNow().AddMinutes(10) }, TestAudit.For(later), CancellationToken.None);
        var after = await db.SortedSetRangeByValueAsync(keys.HoldersIndex(shard));

        Assert.Multiple(() =>
        {
            Assert.That(before.Select(h => (string)h!), Is.EqualTo(new[] { "spiffe://a.example/agent" }));
            Assert.That(after.Select(h => (string)h!), Is.EqualTo(new[] { "spiffe://a.example/other" }));
        });
    }

    [Test]
    public async Task A_tasks_keys_share_one_cluster_slot_the_expiry_index_names_the_token_and_the_soc_indexes_share_their_shards()
    {
        var store = CreateStore();
        var taskId = NewTaskId();
        await store.CreateTaskAsync(Task(taskId), Token(taskId), TestAudit.For(taskId), CancellationToken.None);

        var redis = _factory.Connection;
        var keys = new RedisKeys(_factory.Options);
        var shard = keys.IndexShardOf(taskId);
        var server = redis.GetServers()[0];
        var all = server.Keys(pattern: $"{_factory.KeyPrefix}:*").ToList();
        var written = all.Where(k => !k.ToString().Contains(":{idx:", StringComparison.Ordinal)).ToList();
        var indexes = all.Except(written).ToList();
        var keepUntil = (Start.AddMinutes(10) + StoreFactory.BrokerOptions.Value.RecordRetention).ToUnixTimeMilliseconds();
        var indexExpiries = new List<long>();
        foreach (var index in indexes.Where(k => k != keys.HoldersIndex(shard) && k != keys.HoldersKeepUntil(shard)))
        {
            indexExpiries.Add((long)await redis.GetDatabase().ExecuteAsync("PEXPIRETIME", index));
        }

        var expiryShard = written.Single(k => k.ToString().EndsWith(":due", StringComparison.Ordinal));
        var score = await redis.GetDatabase().SortedSetScoreAsync(expiryShard, $"{taskId}/jti-1");

        Assert.Multiple(() =>
        {
            Assert.That(written, Is.EquivalentTo(new RedisKey[]
            {
                keys.Task(taskId), keys.Credentials(taskId), keys.ExpiryShardOf(taskId), keys.AuditHead(0), keys.AuditLog(0), keys.AuditTask(taskId),
                keys.StatusCounter(0),
            }), "the records, the expiry entry, the task's audit event and its chain's status list counter");
            Assert.That(indexes, Is.EquivalentTo(new RedisKey[]
            {
                keys.HoldersIndex(shard), keys.HoldersKeepUntil(shard), keys.HolderIndex(shard, "spiffe://a.example/agent"), keys.TasksIndex(shard), keys.WorkflowIndex(shard, "wf"), keys.CredentialTask(shard, "jti-1"),
            }));
            Assert.That(indexes.Select(k => redis.HashSlot(k)).Distinct().Count(), Is.EqualTo(1), "one slot: one script call writes them");
            Assert.That(indexExpiries, Is.All.EqualTo(keepUntil), "kept as long as the records they point to");
            Assert.That(redis.HashSlot(keys.Task(taskId)), Is.EqualTo(redis.HashSlot(keys.Credentials(taskId))));
            Assert.That(new[] { keys.Credentials(taskId), keys.AuditLog(0), keys.AuditHead(0), keys.AuditTask(taskId), keys.StatusCounter(0) }.Select(k => redis.HashSlot(k)),
                Is.All.EqualTo(redis.HashSlot(keys.Task(taskId))), "the records and their chain: one script appends the event with the record");
            Assert.That(expiryShard, Is.EqualTo(keys.ExpiryShardOf(taskId)));
            Assert.That(score, Is.EqualTo(Start.AddMinutes(10).ToUnixTimeSeconds()));
        });
    }

    [Test]
    public async Task Task_records_are_kept_for_the_retention_period_after_the_deadline_and_then_expire()
    {
        var store = CreateStore();
        var taskId = NewTaskId();
        await store.CreateTaskAsync(Task(taskId), Token(taskId), TestAudit.For(taskId), CancellationToken.None);
        var keys = new RedisKeys(_factory.Options);
        var db = _factory.Connection.GetDatabase();
        var expected = (Start.AddMinutes(10) + StoreFactory.BrokerOptions.Value.RecordRetention).ToUnixTimeMilliseconds();

        Assert.Multiple(async () =>
        {
            Assert.That((long)await db.ExecuteAsync("PEXPIRETIME", keys.Task(taskId)), Is.EqualTo(expected));
            Assert.That((long)await db.ExecuteAsync("PEXPIRETIME", keys.Credentials(taskId)), Is.EqualTo(expected));
        });
    }

    [Test]
    public async Task Every_operation_fails_closed_while_redis_is_down_and_works_again_after()
    {
        await using var server = await RedisServer.StartPrivateAsync();
        var store = _factory.Create(_time, server.ConnectionString, o => o.RetryAttempts = 1);
        var taskId = "tsk_" + Guid.NewGuid().ToString("N");
        await store.CreateTaskAsync(Task(taskId), Token(taskId), TestAudit.For(taskId), CancellationToken.None);

        await server.StopAsync();
        var request = new StateChangeRequest(taskId, TaskState.Completed, TaskStateMachine.SourcesOf(TaskState.Completed), Start, null, [CredentialKind.Task], RevocationReasons.TaskCompleted, TestAudit.For(taskId));
        var otherId = "tsk_" + Guid.NewGuid().ToString("N");

        Assert.Multiple(() =>
        {
            Assert.That(async () => await store.PingAsync(CancellationToken.None), Throws.TypeOf<StoreUnavailableException>());
            Assert.That(async () => await store.CreateTaskAsync(Task(otherId), Token(otherId), TestAudit.For(Task(otherId).TaskId), CancellationToken.None), Throws.TypeOf<StoreUnavailableException>());
            Assert.That(async () => await store.GetCredentialAsync(taskId, "jti-1", CancellationToken.None), Throws.TypeOf<StoreUnavailableException>());
            Assert.That(async () => await store.GetTaskAsync(taskId, CancellationToken.None), Throws.TypeOf<StoreUnavailableException>());
            Assert.That(async () => await store.ChangeStateAsync(request, CancellationToken.None), Throws.TypeOf<StoreUnavailableException>());
            Assert.That(async () => await store.RevokeSubtreeAsync(taskId, "jti-1", Start, RevocationReasons.Holder, TestAudit.For(taskId), CancellationToken.None), Throws.TypeOf<StoreUnavailableException>());
        });

        await server.StartAsync();
        await WaitUntilConnectedAsync(_factory.Connection);
        Assert.That(async () => await store.CreateTaskAsync(Task(otherId), Token(otherId), TestAudit.For(Task(otherId).TaskId), CancellationToken.None), Throws.Nothing);
    }

    [Test]
    public async Task Work_announced_but_not_yet_recorded_is_flagged_handed_back_and_ready_once_recorded_or_a_lease_old()
    {
        var store = CreateStore();
        var revoker = _factory.Revoker;
        var taskId = NewTaskId();
        await store.CreateTaskAsync(Task(taskId), Token(taskId), TestAudit.For(taskId), CancellationToken.None);
        var lease = TimeSpan.FromHours(1);

        // A writer that announced its revocation and has not run (or never ran) the recording script.
        var keys = new RedisKeys(_factory.Options);
        await _factory.Connection.GetDatabase().StreamAddAsync(keys.Work(keys.WorkShardOf(taskId)), [new NameValueEntry("task", taskId), new NameValueEntry("at", Start.ToUnixTimeMilliseconds())]);
        var announced = await revoker.TakeWorkAsync("replica-a", 10, lease, CancellationToken.None);
        await revoker.DeferWorkAsync(announced, lease, CancellationToken.None);
        var handedBack = await revoker.TakeWorkAsync("replica-b", 10, lease, CancellationToken.None);
        var aLeaseOld = await revoker.TakeWorkAsync("replica-c", 10, TimeSpan.Zero, CancellationToken.None);
        await revoker.AckWorkAsync(aLeaseOld, CancellationToken.None);

        // The same through the store: announced and recorded.
        await store.ChangeStateAsync(new StateChangeRequest(taskId, TaskState.Completed, TaskStateMachine.SourcesOf(TaskState.Completed), Start, null, [CredentialKind.Task], RevocationReasons.TaskCompleted, TestAudit.For(taskId)), CancellationToken.None);
        var recorded = await revoker.TakeWorkAsync("replica-a", 10, lease, CancellationToken.None);
        var pending = await revoker.GetPendingAsync(taskId, CancellationToken.None);
        await revoker.AckWorkAsync(recorded, CancellationToken.None);
        var members = await _factory.Connection.GetDatabase().SetMembersAsync(keys.Pending(taskId));

        Assert.Multiple(() =>
        {
            Assert.That(announced.Select(w => w.Recorded), Is.EqualTo(new[] { false }));
            Assert.That(handedBack.Select(w => (w.Id, w.Recorded)), Is.EqualTo(announced.Select(w => (w.Id, false))), "handed back for any replica at once");
            Assert.That(aLeaseOld.Select(w => w.Recorded), Is.EqualTo(new[] { true }), "a writer a lease late never records");
            Assert.That(recorded.Select(w => w.Recorded), Is.EqualTo(new[] { true }));
            Assert.That(pending.Select(c => c.Jti), Is.EqualTo(new[] { "jti-1" }), "the marker is not a credential");
            Assert.That(members.Select(m => (string?)m), Is.EqualTo(new[] { "jti-1" }), "acknowledging removes the marker");
        });
    }

    // The multiplexer reconnects in the background and raises ConnectionRestored: a signal, not a sleep.
    private static async Task WaitUntilConnectedAsync(IConnectionMultiplexer connection)
    {
        var restored = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        connection.ConnectionRestored += (_, _) => restored.TrySetResult();
        if (!connection.IsConnected)
        {
            await restored.Task.WaitAsync(TimeSpan.FromSeconds(30));
        }
    }
}
