using CredentialBroker.Abstractions;
using CredentialBroker.Abstractions.Storage;
using Polly;
using Polly.CircuitBreaker;
using StackExchange.Redis;

namespace CredentialBroker.Redis;

/// <summary>
/// What every Redis class of the broker shares: the one connection, the one key schema, and the one resilience
/// pipeline (<see cref="RedisResilience"/>). Every call goes through <see cref="ExecuteAsync{T}"/>, so any failure to
/// reach Redis surfaces as <see cref="StoreUnavailableException"/> and the broker fails closed. The store ports are
/// small classes over this context, one per concern: tasks and credentials, the revoker's work, the SOC's records, the
/// feed, the risk levels.
/// </summary>
public sealed class RedisContext : IAsyncDisposable
{
    private readonly IConnectionMultiplexer _connection;
    private readonly ResiliencePipeline _pipeline;
    private readonly RedisDurability? _durability;
    private readonly TopologyRefresh _topology;

    /// <summary>Creates the context.</summary>
    /// <param name="connection">The connection.</param>
    /// <param name="options">The store's settings.</param>
    /// <param name="broker">The broker's settings (record retention).</param>
    /// <param name="pipeline">The resilience pipeline for every call (see <see cref="RedisResilience"/>).</param>
    /// <param name="time">The broker's clock.</param>
    public RedisContext(IConnectionMultiplexer connection, RedisStoreOptions options, CredentialBrokerOptions broker, ResiliencePipeline pipeline, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        _connection = connection;
        _topology = new TopologyRefresh(connection);
        _pipeline = pipeline;
        Keys = new RedisKeys(options);
        Broker = broker;
        Time = time;
        _durability = options.WaitForReplicas > 0 ? new RedisDurability(connection, options, Keys) : null;
    }

    /// <summary>A context with a pipeline of its own, for tools that open the store without a container (load harness, benchmarks).</summary>
    public static RedisContext Create(IConnectionMultiplexer connection, RedisStoreOptions options, CredentialBrokerOptions broker, TimeProvider time) =>
        new(connection, options, broker, RedisResilience.Build(options), time);

    internal IDatabase Db => _connection.GetDatabase();

    internal IConnectionMultiplexer Connection => _connection;

    internal RedisKeys Keys { get; }

    internal CredentialBrokerOptions Broker { get; }

    internal TimeProvider Time { get; }

    /// <summary>Runs one store operation through the pipeline; whatever still fails to reach Redis becomes <see cref="StoreUnavailableException"/>.</summary>
    internal async ValueTask<T> ExecuteAsync<T>(Func<CancellationToken, Task<T>> operation, CancellationToken cancellationToken)
    {
        try
        {
            return await _pipeline.ExecuteAsync(static async (state, ct) =>
            {
                try
                {
                    return await state.operation(ct);
                }
                catch (Exception ex) when (TopologyRefresh.IsStale(ex))
                {
                    state.context._topology.Request();
                    throw;
                }
            }, (operation, context: this), cancellationToken);
        }
        catch (Exception ex) when (ex is RedisConnectionException or RedisTimeoutException or BrokenCircuitException
                                   || (ex is RedisServerException server && RedisResilience.IsTransient(server))
                                   || (ex is RedisCommandException command && RedisResilience.IsTransient(command)))
        {
            throw new StoreUnavailableException("Redis is unavailable.", ex);
        }
        catch (ReplicaAcknowledgementException ex)
        {
            throw new StoreUnavailableException("Redis replicas did not confirm the write.", ex);
        }
    }

    /// <summary>
    /// Runs a store operation whose outcome the broker acknowledges — to a caller, or by moving on (a revocation's feed
    /// entry and downstream outcome) — and, with <see cref="RedisStoreOptions.WaitForReplicas"/> set, confirms on the
    /// replicas everything it touched before returning (<see cref="RedisDurability"/>). The operation adds to the list
    /// the keys it wrote, and the keys of records it read and reports (an idempotent replay). Operations whose loss in a
    /// failover only means work done again (claims, leases, acknowledgements of finished work) use <see cref="ExecuteAsync{T}"/>.
    /// </summary>
    internal ValueTask<T> ExecuteDurableAsync<T>(Func<List<RedisKey>, CancellationToken, Task<T>> operation, CancellationToken cancellationToken)
    {
        if (_durability is not { } durability)
        {
            return ExecuteAsync(ct => operation([], ct), cancellationToken);
        }

        return ExecuteAsync(async ct =>
        {
            var epoch = durability.Epoch;
            var touched = new List<RedisKey>();
            var result = await operation(touched, ct);
            await durability.ConfirmAsync(epoch, touched, ct);
            return result;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => _durability?.DisposeAsync() ?? ValueTask.CompletedTask;
}
