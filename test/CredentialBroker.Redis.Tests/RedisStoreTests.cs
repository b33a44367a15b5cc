using CredentialBroker.Core;
using CredentialBroker.Core.Storage;
using CredentialBroker.Core.Tasks;
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

    [Test]
    public async Task A_tasks_keys_share_one_cluster_slot_and_the_expiry_index_names_the_token()
    {
        var store = _factory.Create(StoreKind.Redis, _time);
        var taskId = "tsk_" + Guid.NewGuid().ToString("N");
        await store.CreateTaskAsync(Task(taskId), Token(taskId), CancellationToken.None);

        var redis = _factory.Connection;
        var keys = new RedisKeys(_factory.KeyPrefix, 16);
        var server = redis.GetServers()[0];
        var written = server.Keys(pattern: $"{_factory.KeyPrefix}:*").ToList();
        var shard = written.Single(k => k.ToString().EndsWith(":due", StringComparison.Ordinal));
        var score = await redis.GetDatabase().SortedSetScoreAsync(shard, $"{taskId}/jti-1");

        Assert.Multiple(() =>
        {
            Assert.That(written, Has.Count.EqualTo(3), string.Join(", ", written));
            Assert.That(redis.HashSlot(keys.Task(taskId)), Is.EqualTo(redis.HashSlot(keys.Credentials(taskId))));
            Assert.That(redis.HashSlot(keys.Task(taskId)), Is.EqualTo(redis.HashSlot($"{{{taskId}}}")));
            Assert.That(shard, Is.EqualTo(keys.ExpiryShardOf(taskId)));
            Assert.That(score, Is.EqualTo(Start.AddMinutes(10).ToUnixTimeSeconds()));
        });
    }

    [Test]
    public async Task Task_records_are_kept_for_the_retention_period_after_the_deadline_and_then_expire()
    {
        var store = _factory.Create(StoreKind.Redis, _time);
        var taskId = "tsk_" + Guid.NewGuid().ToString("N");
        await store.CreateTaskAsync(Task(taskId), Token(taskId), CancellationToken.None);
        var keys = new RedisKeys(_factory.KeyPrefix, 16);
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
        var store = _factory.Create(StoreKind.Redis, _time, server.ConnectionString, retryAttempts: 1);
        var taskId = "tsk_" + Guid.NewGuid().ToString("N");
        await store.CreateTaskAsync(Task(taskId), Token(taskId), CancellationToken.None);

        await server.StopAsync();
        var request = new StateChangeRequest(taskId, TaskState.Completed, TaskStateMachine.SourcesOf(TaskState.Completed), Start, null, [CredentialKind.Task], RevocationReasons.TaskCompleted);
        var otherId = "tsk_" + Guid.NewGuid().ToString("N");

        Assert.Multiple(() =>
        {
            Assert.That(async () => await store.PingAsync(CancellationToken.None), Throws.TypeOf<StoreUnavailableException>());
            Assert.That(async () => await store.CreateTaskAsync(Task(otherId), Token(otherId), CancellationToken.None), Throws.TypeOf<StoreUnavailableException>());
            Assert.That(async () => await store.GetCredentialAsync(taskId, "jti-1", CancellationToken.None), Throws.TypeOf<StoreUnavailableException>());
            Assert.That(async () => await store.GetTaskAsync(taskId, CancellationToken.None), Throws.TypeOf<StoreUnavailableException>());
            Assert.That(async () => await store.ChangeStateAsync(request, CancellationToken.None), Throws.TypeOf<StoreUnavailableException>());
            Assert.That(async () => await store.RevokeSubtreeAsync(taskId, "jti-1", Start, RevocationReasons.Holder, CancellationToken.None), Throws.TypeOf<StoreUnavailableException>());
        });

        await server.StartAsync();
        await WaitUntilConnectedAsync(_factory.Connection);
        Assert.That(async () => await store.CreateTaskAsync(Task(otherId), Token(otherId), CancellationToken.None), Throws.Nothing);
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
