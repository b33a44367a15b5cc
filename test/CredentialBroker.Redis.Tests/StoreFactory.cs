using CredentialBroker.Abstractions;
using CredentialBroker.Abstractions.Audit;
using CredentialBroker.Abstractions.Soc;
using CredentialBroker.Abstractions.Storage;
using CredentialBroker.Core;
using CredentialBroker.EmbeddedStore;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using StackExchange.Redis;

namespace CredentialBroker.Redis.Tests;

public enum StoreKind
{
    Embedded,
    Redis,
    RedisCluster,
}

/// <summary>Builds a store of any kind over a unique key prefix, so tests never share keys. The Redis kinds use the assembly's shared server or cluster.</summary>
internal sealed class StoreFactory : IAsyncDisposable
{
    private readonly List<(RedisContext Context, ConnectionMultiplexer Connection)> _opened = [];
    private ConnectionMultiplexer? _connection;

    public string KeyPrefix { get; } = "t" + Guid.NewGuid().ToString("N")[..12];

    public static IOptions<CredentialBrokerOptions> BrokerOptions => Microsoft.Extensions.Options.Options.Create(new CredentialBrokerOptions { Issuer = "https://broker.example" });

    public IConnectionMultiplexer Connection => _connection ?? throw new InvalidOperationException("Not a Redis store.");

    /// <summary>The Redis context of the last Redis store created.</summary>
    public RedisContext Context { get; private set; } = null!;

    /// <summary>The revoker's store beside the last store created.</summary>
    public IRevokerStore Revoker { get; private set; } = null!;

    /// <summary>The SOC's store beside the last store created.</summary>
    public ISocStore Soc { get; private set; } = null!;

    /// <summary>The Shared Signals transmitter's store beside the last store created.</summary>
    public ISsfStreamStore Ssf { get; private set; } = null!;

    /// <summary>The Token Status Lists beside the last store created.</summary>
    public IStatusListStore StatusLists { get; private set; } = null!;

    /// <summary>The DPoP replay store beside the last store created.</summary>
    public IProofReplayStore Proofs { get; private set; } = null!;

    /// <summary>The boundary log beside the last store created.</summary>
    public IAuditLog Audit { get; private set; } = null!;

    public IRevocationFeed CreateFeed(StoreKind kind, FakeTimeProvider time) => kind == StoreKind.Embedded
        ? new InMemoryRevocationFeed(time)
        : new RedisRevocationFeed(Context);

    /// <summary>The options of the last Redis store created.</summary>
    public RedisStoreOptions Options { get; private set; } = null!;

    public async Task<ICredentialStore> CreateAsync(StoreKind kind, FakeTimeProvider time) => kind switch
    {
        StoreKind.Embedded => CreateEmbedded(time),
        StoreKind.Redis => Create(time, RedisFixture.Server.ConnectionString),
        // The cluster as production runs it: every acknowledged write confirmed on its primary's replica. The replicas
        // share a loaded CI machine with everything else: they get seconds, not the default half second, to confirm.
        _ => Create(time, (await RedisFixture.ClusterAsync()).ConnectionString, o =>
        {
            o.WaitForReplicas = 1;
            o.AuditChains = 16; // as a cluster should run: tasks and their chains spread over the primaries
            o.OperationTimeout = TimeSpan.FromSeconds(10);
            o.ReplicaWaitTimeout = TimeSpan.FromSeconds(5);
        }),
    };

    private InMemoryCredentialStore CreateEmbedded(FakeTimeProvider time)
    {
        var embedded = new InMemoryCredentialStore(time);
        (Revoker, Soc, Proofs, Audit, StatusLists) = (embedded, embedded, embedded, embedded, embedded);
        Ssf = new InMemorySsfStreamStore();
        return embedded;
    }

    /// <summary>A Redis store on <paramref name="connectionString"/>; <paramref name="configure"/> varies its options.</summary>
    public ICredentialStore Create(FakeTimeProvider time, string connectionString, Action<RedisStoreOptions>? configure = null)
    {
        Options = new RedisStoreOptions
        {
            ConnectionString = connectionString,
            KeyPrefix = KeyPrefix,
            RetryAttempts = 2,
            OperationTimeout = TimeSpan.FromSeconds(2),
        };
        configure?.Invoke(Options);
        _connection = RedisStoreBuilderExtensions.Connect(Options);
        Context = RedisContext.Create(_connection, Options, BrokerOptions.Value, time);
        _opened.Add((Context, _connection));
        (Revoker, Soc, Proofs, Audit, StatusLists) = (new RedisRevokerStore(Context), new RedisSocStore(Context), new RedisProofReplayStore(Context), new RedisAuditLog(Context), new RedisStatusListStore(Context));
        Ssf = new RedisSsfStreamStore(Context);
        return new RedisCredentialStore(Context);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var (context, connection) in _opened)
        {
            await context.DisposeAsync();
            await connection.DisposeAsync();
        }
    }
}
