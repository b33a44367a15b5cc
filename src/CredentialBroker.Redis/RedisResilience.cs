using CredentialBroker.Abstractions.Storage;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Polly.Timeout;
using StackExchange.Redis;

namespace CredentialBroker.Redis;

/// <summary>
/// Polly around every Redis call: retries with exponential backoff and jitter for transient faults (a command
/// that times out — StackExchange.Redis enforces <see cref="RedisStoreOptions.OperationTimeout"/> on each one —
/// is one), and a circuit breaker so a dead Redis fails requests fast instead of queueing them.
/// Every store operation is idempotent, so retrying is safe. Whatever still fails becomes
/// <see cref="StoreUnavailableException"/>: the broker answers 503 and issues nothing.
/// </summary>
internal sealed class RedisResilience
{
    private readonly ResiliencePipeline _pipeline;

    public RedisResilience(RedisStoreOptions options)
    {
        var transient = new PredicateBuilder()
            .Handle<RedisConnectionException>()
            .Handle<RedisTimeoutException>()
            .Handle<RedisServerException>(IsTransientServerError);

        var builder = new ResiliencePipelineBuilder()
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions
            {
                ShouldHandle = transient,
                FailureRatio = 0.5,
                MinimumThroughput = 20,
                SamplingDuration = TimeSpan.FromSeconds(10),
                BreakDuration = TimeSpan.FromSeconds(2),
            });
        if (options.RetryAttempts > 0)
        {
            builder.AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = transient,
                MaxRetryAttempts = options.RetryAttempts,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = TimeSpan.FromMilliseconds(50),
            });
        }

        // No Polly timeout on top: the client's own per-command timeout bounds every call without a timer per call.
        _pipeline = builder.Build();
    }

    public async ValueTask<T> ExecuteAsync<T>(Func<CancellationToken, Task<T>> operation, CancellationToken cancellationToken)
    {
        try
        {
            return await _pipeline.ExecuteAsync(static (operation, ct) => new ValueTask<T>(operation(ct)), operation, cancellationToken);
        }
        catch (Exception ex) when (ex is RedisConnectionException or RedisTimeoutException or BrokenCircuitException
                                   || (ex is RedisServerException server && IsTransientServerError(server)))
        {
            throw new StoreUnavailableException("Redis is unavailable.", ex);
        }
    }

    // Replies that mean "this node cannot serve you right now", not "your command is wrong".
    private static bool IsTransientServerError(RedisServerException ex) =>
        ex.Message.StartsWith("LOADING", StringComparison.Ordinal)
        || ex.Message.StartsWith("READONLY", StringComparison.Ordinal)
        || ex.Message.StartsWith("MASTERDOWN", StringComparison.Ordinal)
        || ex.Message.StartsWith("TRYAGAIN", StringComparison.Ordinal)
        || ex.Message.StartsWith("CLUSTERDOWN", StringComparison.Ordinal)
        || ex.Message.StartsWith("BUSY", StringComparison.Ordinal);
}
