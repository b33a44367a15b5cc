using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using StackExchange.Redis;

namespace CredentialBroker.Redis;

/// <summary>
/// The one resilience pipeline around every Redis call, registered with Polly's DI integration under
/// <see cref="PipelineKey"/> (so it reports telemetry and runs on the container's clock), all settings from the
/// validated <see cref="RedisStoreOptions"/>: retries with exponential backoff and jitter for transient faults (a command
/// that times out — StackExchange.Redis enforces <see cref="RedisStoreOptions.OperationTimeout"/> on each one — is one),
/// and a circuit breaker so a dead Redis fails requests fast instead of queueing them. Every store operation is
/// idempotent, so retrying is safe.
/// </summary>
public static class RedisResilience
{
    /// <summary>The pipeline's key.</summary>
    public const string PipelineKey = "credentialbroker-redis";

    /// <summary>Registers the pipeline (idempotent).</summary>
    public static IServiceCollection AddRedisResilience(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        if (services.Any(d => d.ServiceType == typeof(Registered)))
        {
            return services;
        }

        services.AddSingleton<Registered>();
        services.AddResiliencePipeline(PipelineKey, (builder, context) => Configure(builder, context.ServiceProvider.GetRequiredService<IOptions<RedisStoreOptions>>().Value));
        return services;
    }

    /// <summary>Builds the pipeline outside a container (tools and benchmarks that open the store by hand).</summary>
    public static ResiliencePipeline Build(RedisStoreOptions options)
    {
        var builder = new ResiliencePipelineBuilder();
        Configure(builder, options);
        return builder.Build();
    }

    internal static void Configure(ResiliencePipelineBuilder builder, RedisStoreOptions options)
    {
        var transient = new PredicateBuilder()
            .Handle<RedisConnectionException>()
            .Handle<RedisTimeoutException>()
            .Handle<RedisServerException>(IsTransient)
            .Handle<RedisCommandException>(IsTransient);
        builder.AddCircuitBreaker(new CircuitBreakerStrategyOptions
        {
            ShouldHandle = transient,
            FailureRatio = options.BreakFailureRatio,
            MinimumThroughput = options.BreakMinimumThroughput,
            SamplingDuration = options.BreakSamplingDuration,
            BreakDuration = options.BreakDuration,
        });
        if (options.RetryAttempts > 0)
        {
            builder.AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = transient,
                MaxRetryAttempts = options.RetryAttempts,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.RetryDelay,
            });
        }

        // No Polly timeout on top: the client's own per-command timeout bounds every call without a timer per call.
    }

    // Replies that mean "this node cannot serve you right now", not "your command is wrong".
    internal static bool IsTransient(RedisServerException ex) =>
        ex.Message.StartsWith("LOADING", StringComparison.Ordinal)
        || ex.Message.StartsWith("READONLY", StringComparison.Ordinal)
        || ex.Message.StartsWith("MASTERDOWN", StringComparison.Ordinal)
        || ex.Message.StartsWith("TRYAGAIN", StringComparison.Ordinal)
        || ex.Message.StartsWith("CLUSTERDOWN", StringComparison.Ordinal)
        || ex.Message.StartsWith("BUSY", StringComparison.Ordinal)
        // A cluster's slot moved (a failover, a node rejoining as a replica) before the client's slot map caught up.
        || ex.Message.StartsWith("MOVED", StringComparison.Ordinal)
        || ex.Message.StartsWith("ASK", StringComparison.Ordinal)
        || ex.Message.StartsWith("Key has MOVED", StringComparison.Ordinal);

    // The client's slot map still names a node that has just become a replica (a failed primary rejoining): a moment
    // of a failover, not a wrong command. Other command errors (a cross-slot script, say) are programmer mistakes.
    internal static bool IsTransient(RedisCommandException ex) =>
        ex.Message.StartsWith("Command cannot be issued to a replica", StringComparison.Ordinal);

    private sealed class Registered;
}
