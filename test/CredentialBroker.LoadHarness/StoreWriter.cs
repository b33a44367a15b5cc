using CredentialBroker.Abstractions.Audit;
using CredentialBroker.Testing;
using System.Collections.Concurrent;
using CredentialBroker.Abstractions;
using CredentialBroker.Abstractions.Storage;
using CredentialBroker.Abstractions.Tasks;
using CredentialBroker.Core;
using CredentialBroker.Core.Tasks;
using CredentialBroker.EmbeddedStore;
using CredentialBroker.Redis;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace CredentialBroker.LoadHarness;

/// <summary>Writes and reads the broker's records through its own Redis store, for scenarios that need many of them fast.</summary>
internal sealed class StoreWriter : IAsyncDisposable
{
    private const int Concurrency = 64;
    private readonly ConnectionMultiplexer _connection;
    private readonly RedisCredentialStore _store;

    private StoreWriter(ConnectionMultiplexer connection, RedisCredentialStore store)
    {
        _connection = connection;
        _store = store;
    }

    public static async Task<StoreWriter> OpenAsync(BrokerUnderTest broker)
    {
        var options = new RedisStoreOptions { ConnectionString = broker.Redis.ConnectionString };
        var connection = await ConnectionMultiplexer.ConnectAsync(options.ConnectionString + ",allowAdmin=true"); // INFO, for the memory figure
        return new StoreWriter(connection, new RedisCredentialStore(RedisContext.Create(connection, options, new CredentialBrokerOptions { Issuer = broker.Url }, TimeProvider.System)));
    }

    /// <summary>Writes <paramref name="count"/> tasks, each with its task token expiring at <paramref name="expiresAt"/>; returns the tokens.</summary>
    public async Task<IReadOnlyList<CredentialRecord>> WriteAsync(int count, Func<int, string> taskId, DateTimeOffset expiresAt, string workflow = "wf-load")
    {
        var now = TimeProvider.System.GetUtcNowSeconds();
        var written = new CredentialRecord[count];
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = Concurrency }, async (i, ct) =>
        {
            var id = taskId(i);
            var task = new TaskRecord(id, Scenarios.Agent, new WorkflowRef(workflow, "perf", "1"), [new AuthorizationGrant("sql.query", Scenarios.Resource, ["read"], "confidential")],
                null, null, 0, [], "spiffe://load.example/orchestrator", now, expiresAt, TaskState.Created, now, null);
            written[i] = new CredentialRecord("jti_" + id, id, CredentialKind.Task, null, Scenarios.Agent, now, expiresAt);
            // The event issuance appends with every task: the memory figure includes the boundary log.
            await _store.CreateTaskAsync(task, written[i], AuditEvents.Create(AuditEventTypes.TaskCreated, now, task.CreatedBy, task, AuditEvents.Credential(written[i])), ct);
        });
        return written;
    }

    /// <summary>When each credential's downstream revocation was recorded.</summary>
    public async Task<IReadOnlyCollection<DateTimeOffset>> DownstreamRevokedAtAsync(IReadOnlyList<CredentialRecord> credentials)
    {
        var revokedAt = new ConcurrentBag<DateTimeOffset>();
        await Parallel.ForEachAsync(credentials, new ParallelOptions { MaxDegreeOfParallelism = Concurrency }, async (credential, ct) =>
        {
            var lookup = await _store.GetCredentialAsync(credential.TaskId, credential.Jti, ct);
            revokedAt.Add(lookup?.Credential.Downstream?.RevokedAt ?? throw new InvalidOperationException($"{credential.Jti} has no downstream revocation."));
        });
        return revokedAt;
    }

    /// <summary>How many credentials are live (in the expiry index, not yet swept).</summary>
    public async Task<long> LiveCredentialsAsync()
    {
        var options = new RedisStoreOptions(); // the broker under test runs with the defaults: prefix cb, 16 shards
        var counts = await Task.WhenAll(Enumerable.Range(0, options.ExpiryIndexShards)
            .Select(shard => _connection.GetDatabase().SortedSetLengthAsync($"{options.KeyPrefix}:{{exp:{shard}}}:due")));
        return counts.Sum();
    }

    /// <summary>What the boundary log takes in Redis: <c>MEMORY USAGE</c> summed over every chain, head, task index and checkpoint key.</summary>
    public async Task<long> AuditMemoryAsync()
    {
        var server = _connection.GetServers()[0];
        var database = _connection.GetDatabase();
        long total = 0;
        await foreach (var key in server.KeysAsync(pattern: "*:audit*", pageSize: 1000))
        {
            total += (long)await database.ExecuteAsync("MEMORY", "USAGE", key, "SAMPLES", "0");
        }

        return total;
    }

    /// <summary>Redis's <c>used_memory</c>.</summary>
    public async Task<long> UsedMemoryAsync()
    {
        var info = await _connection.GetServers()[0].InfoAsync("memory");
        return long.Parse(info.SelectMany(g => g).Single(kv => kv.Key == "used_memory").Value, System.Globalization.CultureInfo.InvariantCulture);
    }

    public async ValueTask DisposeAsync() => await _connection.DisposeAsync();
}
