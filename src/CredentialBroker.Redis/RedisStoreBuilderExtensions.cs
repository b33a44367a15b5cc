using CredentialBroker.Abstractions;
using CredentialBroker.Abstractions.Audit;
using CredentialBroker.Abstractions.Policy;
using CredentialBroker.Abstractions.RateLimiting;
using CredentialBroker.Abstractions.Soc;
using CredentialBroker.Abstractions.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Polly.Registry;
using StackExchange.Redis;

namespace CredentialBroker.Redis;

/// <summary>Chooses Redis as the broker's store.</summary>
public static class RedisStoreBuilderExtensions
{
    /// <summary>
    /// Uses Redis as the single source of truth. The connection tolerates a Redis that is down at start
    /// (the broker starts, reports not ready, and fails closed) and fails commands fast while disconnected.
    /// </summary>
    public static CredentialBrokerBuilder UseRedisStore(this CredentialBrokerBuilder builder, Action<RedisStoreOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = builder.Services.AddOptions<RedisStoreOptions>().ValidateOnStart();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RedisStoreOptions>, RedisStoreOptionsValidator>());
        builder.Services.TryAddSingleton<RedisConnection>();
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, RedisConnection.Starter>());
        builder.Services.TryAddSingleton<IConnectionMultiplexer>(sp => sp.GetRequiredService<RedisConnection>().Multiplexer);
        builder.Services.AddRedisResilience();
        builder.Services.TryAddSingleton(sp => new RedisContext(
            sp.GetRequiredService<IConnectionMultiplexer>(),
            sp.GetRequiredService<IOptions<RedisStoreOptions>>().Value,
            sp.GetRequiredService<IOptions<CredentialBrokerOptions>>().Value,
            sp.GetRequiredService<ResiliencePipelineProvider<string>>().GetPipeline(RedisResilience.PipelineKey),
            sp.GetRequiredKeyedService<TimeProvider>(BrokerTime.ServiceKey)));
        builder.Services.TryAddSingleton<ICredentialStore, RedisCredentialStore>();
        builder.Services.TryAddSingleton<IStatusListStore, RedisStatusListStore>();
        builder.Services.TryAddSingleton<IRevokerStore, RedisRevokerStore>();
        builder.Services.TryAddSingleton<IAuditLog, RedisAuditLog>();
        builder.Services.TryAddSingleton<ISocStore, RedisSocStore>();
        builder.Services.TryAddSingleton<ISsfStreamStore, RedisSsfStreamStore>();
        builder.Services.TryAddSingleton<IRevocationFeed, RedisRevocationFeed>();
        builder.Services.TryAddSingleton<IRateLimitBuckets, RedisRateLimitBuckets>();
        builder.Services.TryAddSingleton<IProofReplayStore, RedisProofReplayStore>();
        builder.Services.TryAddSingleton<RedisRiskRegistry>();
        builder.Services.TryAddSingleton<CachedRiskRegistry>();
        builder.Services.TryAddSingleton<IRiskRegistry>(sp => sp.GetRequiredService<CachedRiskRegistry>());
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<ISnapshot, CachedRiskRegistry>(sp => sp.GetRequiredService<CachedRiskRegistry>()));
        return builder;
    }

    internal static ConnectionMultiplexer Connect(RedisStoreOptions options) => ConnectionMultiplexer.Connect(Configuration(options));

    internal static ConfigurationOptions Configuration(RedisStoreOptions options)
    {
        var configuration = ConfigurationOptions.Parse(options.ConnectionString!);
        configuration.AbortOnConnectFail = false;
        configuration.BacklogPolicy = BacklogPolicy.FailFast;
        configuration.ConnectTimeout = (int)options.OperationTimeout.TotalMilliseconds;
        configuration.AsyncTimeout = (int)options.OperationTimeout.TotalMilliseconds;
        configuration.SyncTimeout = (int)options.OperationTimeout.TotalMilliseconds;
        configuration.ClientName ??= "credentialbroker";

        // The client refuses a write to a node it takes for a replica, and learns a node's role from its periodic check
        // (INFO replication), by default once a minute: after a replica takes over from its primary, a connection with
        // no redirect to correct it (the replica wait's, see RedisDurability) would fail closed for that long. Every
        // second or two instead (the client's heartbeat), one small command per node; a configCheckSeconds in the
        // connection string is overridden.
        configuration.ConfigCheckSeconds = 1;

        // The readiness check reads INFO memory of every node (its maxmemory-policy), which the client guards as an admin
        // command; the broker's code issues no other one.
        configuration.AllowAdmin = true;
        return configuration;
    }
}
