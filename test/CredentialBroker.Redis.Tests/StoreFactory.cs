using CredentialBroker.Abstractions;
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
}

/// <summary>Builds a store of either kind over a unique key prefix, so tests never share keys.</summary>
internal sealed class StoreFactory : IAsyncDisposable
{
    private ConnectionMultiplexer? _connection;

    public string KeyPrefix { get; } = "t" + Guid.NewGuid().ToString("N")[..12];

    public static IOptions<CredentialBrokerOptions> BrokerOptions => Options.Create(new CredentialBrokerOptions { Issuer = "https://broker.example" });

    public IConnectionMultiplexer Connection => _connection ?? throw new InvalidOperationException("Not a Redis store.");

    /// <summary>The Redis context of the last Redis store created.</summary>
    public RedisContext Context { get; private set; } = null!;

    /// <summary>The revoker's store beside the last store created.</summary>
    public IRevokerStore Revoker { get; private set; } = null!;

    /// <summary>The SOC's store beside the last store created.</summary>
    public ISocStore Soc { get; private set; } = null!;

    /// <summary>The DPoP replay store beside the last store created.</summary>
    public IProofReplayStore Proofs { get; private set; } = null!;

    public IRevocationFeed CreateFeed(StoreKind kind, FakeTimeProvider time) => kind == StoreKind.Embedded
        ? new InMemoryRevocationFeed(time)
        : new RedisRevocationFeed(Context);

    public ICredentialStore Create(StoreKind kind, FakeTimeProvider time, string? connectionString = null, int retryAttempts = 2)
    {
        if (kind == StoreKind.Embedded)
        {
            var embedded = new InMemoryCredentialStore(time);
            (Revoker, Soc, Proofs) = (embedded, embedded, embedded);
            return embedded;
        }

        var options = new RedisStoreOptions
        {
            ConnectionString = connectionString ?? RedisFixture.Server.ConnectionString,
            KeyPrefix = KeyPrefix,
            RetryAttempts = retryAttempts,
            OperationTimeout = TimeSpan.FromSeconds(2),
        };
        _connection = RedisStoreBuilderExtensions.Connect(options);
        Context = RedisContext.Create(_connection, options, BrokerOptions.Value, time);
        (Revoker, Soc, Proofs) = (new RedisRevokerStore(Context), new RedisSocStore(Context), new RedisProofReplayStore(Context));
        return new RedisCredentialStore(Context);
    }

    public async ValueTask DisposeAsync()
    {
        if (_connection is not null)
        {
            await _connection.DisposeAsync();
        }
    }
}
