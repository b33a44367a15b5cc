using BenchmarkDotNet.Attributes;
using CredentialBroker.Abstractions;
using CredentialBroker.Abstractions.Storage;
using CredentialBroker.Abstractions.Tasks;
using CredentialBroker.Core;
using CredentialBroker.Core.Tasks;
using CredentialBroker.Redis;
using CredentialBroker.Testing;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace CredentialBroker.Benchmarks;

/// <summary>
/// The Redis store's operations on a request's path, against a private <c>redis-server</c> on loopback, with the
/// floor of one bare round trip (PING) on the same connection.
/// </summary>
[MemoryDiagnoser]
public class StoreBenchmarks
{
    private const int Tasks = 10_000;
    private static readonly IReadOnlyCollection<TaskState> Open = [TaskState.Created, TaskState.Running, TaskState.Paused, TaskState.AwaitingApproval];
    private RedisServer _redis = null!;
    private ConnectionMultiplexer _connection = null!;
    private RedisCredentialStore _store = null!;
    private DateTimeOffset _now;
    private long _counter;

    [GlobalSetup]
    public void Setup()
    {
        _redis = RedisServer.StartPrivateAsync().GetAwaiter().GetResult();
        var options = new RedisStoreOptions { ConnectionString = _redis.ConnectionString };
        _connection = ConnectionMultiplexer.Connect(options.ConnectionString);
        _store = new RedisCredentialStore(RedisContext.Create(_connection, options, BenchmarkData.Options().Value, TimeProvider.System));
        _now = TimeProvider.System.GetUtcNowSeconds();
        for (var i = 0; i < Tasks; i++)
        {
            _store.CreateTaskAsync(BenchmarkData.Task($"tsk_{i}", _now), BenchmarkData.TaskToken($"tsk_{i}", $"jti_{i}", _now), TestAudit.For(BenchmarkData.Task($"tsk_{i}", _now).TaskId), CancellationToken.None).AsTask().GetAwaiter().GetResult();
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _connection.Dispose();
        _redis.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    [Benchmark(Baseline = true, Description = "floor: one round trip (PING)")]
    public async Task<TimeSpan> Ping() => await _connection.GetDatabase().PingAsync();

    [Benchmark(Description = "record a task and its token (create_task.lua)")]
    public async Task<TaskCreation> CreateTask()
    {
        var id = $"tsk_new_{Interlocked.Increment(ref _counter)}";
        return await _store.CreateTaskAsync(BenchmarkData.Task(id, _now), BenchmarkData.TaskToken(id, "jti_" + id, _now), TestAudit.For(BenchmarkData.Task(id, _now).TaskId), CancellationToken.None);
    }

    [Benchmark(Description = "look a credential up with its task (introspection, exchange)")]
    public async Task<CredentialLookup?> GetCredential()
    {
        var i = Interlocked.Increment(ref _counter) % Tasks;
        return await _store.GetCredentialAsync($"tsk_{i}", $"jti_{i}", CancellationToken.None);
    }

    [Benchmark(Description = "record a derived credential under its parent (add_credential.lua)")]
    public async Task<CredentialAddition> AddCredential()
    {
        var n = Interlocked.Increment(ref _counter);
        var i = n % Tasks;
        var child = new CredentialRecord($"at_{n}", $"tsk_{i}", CredentialKind.AccessToken, $"jti_{i}", BenchmarkData.Agent, _now, _now.AddMinutes(5), Audience: "postgres://payments", Depth: 1);
        return (await _store.AddCredentialAsync(child, Open, _now, 1000, TestAudit.For(child.TaskId), CancellationToken.None)).Outcome;
    }
}
