using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using StackExchange.Redis;

namespace CredentialBroker.Redis;

/// <summary>
/// Confirms that what the broker is about to acknowledge has reached <see cref="RedisStoreOptions.WaitForReplicas"/>
/// replicas of every node that holds it, with Redis's <c>WAIT</c>, so it survives the failure of the primary that took it.
/// <para>
/// <c>WAIT</c> counts the replicas that have every write <em>of the connection it is sent on</em>. The broker's connection
/// is multiplexed, and what an operation acknowledges may have been written by another connection (a retry, or a replay of
/// an earlier attempt's records), so the wait is not sent after the data writes themselves: on a connection of its own,
/// a small barrier write (<see cref="RedisKeys.Barrier"/>, in the slot of a key the operation touched, so on the same
/// node) is followed at once by <c>WAIT</c>. Redis replicates a node's writes in order, so a replica that has the barrier
/// has everything the node held before it — the operation's writes included, whichever connection made them.
/// </para>
/// <para>
/// Two checks keep that inference sound: the data must have been on the node the barrier went to (the main connection
/// routes each touched key to the same endpoint), and the main connection must not have failed or reconnected since the
/// operation began (a failover in between could have moved the data's slot to a promoted replica that never had it).
/// Either failing, or too few replicas in time, fails the operation closed.
/// </para>
/// <para>
/// A <c>WAIT</c> blocks its connection until it returns, so the waits of one node are group-committed: one barrier and
/// wait in flight per node, and every operation that finished writing meanwhile shares the next one.
/// </para>
/// </summary>
internal sealed class RedisDurability : IAsyncDisposable
{
    private readonly IConnectionMultiplexer _main;
    private readonly ConfigurationOptions _configuration;
    private Task<ConnectionMultiplexer> _acknowledgements;
    private long _reconnectedAt;
    private bool _disposed;
    private readonly RedisKeys _keys;
    private readonly int _replicas;
    private readonly TimeSpan _timeout;
    private readonly ConcurrentDictionary<EndPoint, NodeBarrier> _nodes = new();
    private long _epoch;

    public RedisDurability(IConnectionMultiplexer main, RedisStoreOptions options, RedisKeys keys)
    {
        ArgumentNullException.ThrowIfNull(options);
        _main = main;
        _keys = keys;
        _replicas = options.WaitForReplicas;
        _timeout = options.ReplicaWaitTimeout;
        _configuration = RedisStoreBuilderExtensions.Configuration(options);
        _configuration.ClientName += "-acks";
        _acknowledgements = ConnectionMultiplexer.ConnectAsync(_configuration);
        _main.ConnectionFailed += OnConnectionFailed;
    }

    /// <summary>
    /// Changes whenever a command connection of the main multiplexer fails (a reconnection always follows a failure; a new
    /// connection to a node seen for the first time is not a change). Read before an operation starts.
    /// </summary>
    public long Epoch => Interlocked.Read(ref _epoch);

    /// <summary>
    /// Returns once every node holding one of <paramref name="touched"/> has its writes up to now on the configured number of
    /// replicas; throws <see cref="ReplicaAcknowledgementException"/> when it cannot say so.
    /// </summary>
    /// <param name="epoch">The <see cref="Epoch"/> read before the operation read or wrote anything.</param>
    /// <param name="touched">Keys the operation wrote, or read and is about to acknowledge.</param>
    /// <param name="cancellationToken">Stops waiting (the node's wait itself goes on for the others sharing it).</param>
    public async Task ConfirmAsync(long epoch, IReadOnlyCollection<RedisKey> touched, CancellationToken cancellationToken)
    {
        // Grouped by the node the main connection sends each key to — where the operation's writes went — whatever the
        // acknowledgement connection's own slot map says (it learns of a failover later, having no traffic of its own).
        await Volatile.Read(ref _acknowledgements).WaitAsync(cancellationToken);
        var byNode = touched.GroupBy(key => _main.GetServer(key, flags: CommandFlags.DemandMaster).EndPoint).ToList();
        await Task.WhenAll(byNode.Select(node => _nodes.GetOrAdd(node.Key, endpoint => new NodeBarrier(this, endpoint)).ConfirmAsync(node.First()))).WaitAsync(cancellationToken);

        if (Epoch != epoch)
        {
            throw new ReplicaAcknowledgementException("A connection to Redis failed while the write was confirmed; it may not be on the node that was asked.");
        }

        foreach (var node in byNode)
        {
            foreach (var key in node)
            {
                var sentTo = _main.GetServer(key, flags: CommandFlags.DemandMaster).EndPoint;
                if (!node.Key.Equals(sentTo))
                {
                    throw new ReplicaAcknowledgementException(string.Create(CultureInfo.InvariantCulture,
                        $"The cluster's slot map changed while the write was confirmed: {key} was confirmed on {node.Key}, but the broker sends it to {sentTo}."));
                }
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _main.ConnectionFailed -= OnConnectionFailed;
        _disposed = true;
        await (await Volatile.Read(ref _acknowledgements)).DisposeAsync();
    }

    private void OnConnectionFailed(object? sender, ConnectionFailedEventArgs e)
    {
        if (e.ConnectionType == ConnectionType.Interactive)
        {
            Interlocked.Increment(ref _epoch);
        }
    }

    // The barrier and the wait, back to back on one connection of the acknowledgement multiplexer to that node.
    private async Task BarrierAndWaitAsync(EndPoint endpoint, RedisKey touched)
    {
        var current = Volatile.Read(ref _acknowledgements);
        var acknowledgements = await current;
        IServer server;
        try
        {
            server = acknowledgements.GetServer(endpoint);
        }
        catch (ArgumentException)
        {
            // A node this connection has not met yet (added to the cluster since it connected): look again, and fail
            // this write closed meanwhile.
            _ = acknowledgements.ConfigureAsync();
            throw new ReplicaAcknowledgementException(string.Create(CultureInfo.InvariantCulture,
                $"The write went to {endpoint}, which the acknowledgement connection does not know yet."));
        }

        var barrier = server.ExecuteAsync("SET", [_keys.Barrier(touched), "1", "PX", 1000], CommandFlags.NoRedirect);
        var wait = server.ExecuteAsync("WAIT", [_replicas, (long)_timeout.TotalMilliseconds], CommandFlags.NoRedirect);

        // A MOVED or ASK reply (the node no longer serves the slot: a failover under way) is not followed — the data may
        // not be on the node the redirect names — and fails the operation as transient: retried whole, or 503. This
        // connection sends nothing a redirect could correct its view with: until its role check (every second or two, see
        // RedisStoreBuilderExtensions.Configuration) or a new connection (Reconnect) sees that a replica took over, it
        // refuses the barrier, and the write fails closed (503) meanwhile. Other transient replies are retried whole.
        try
        {
            await Task.WhenAll(barrier, wait);
        }
        catch (Exception ex) when (TopologyRefresh.IsStale(ex))
        {
            Reconnect(current);
            throw new ReplicaAcknowledgementException(string.Create(CultureInfo.InvariantCulture,
                $"The acknowledgement connection does not yet see {endpoint} as a primary: {ex.Message}"));
        }

        var acknowledged = (long)wait.Result;

        if (acknowledged < _replicas)
        {
            throw new ReplicaAcknowledgementException(string.Create(CultureInfo.InvariantCulture,
                $"{acknowledged} of the {_replicas} replicas required acknowledged the write on {endpoint} within {_timeout.TotalMilliseconds} ms."));
        }
    }

    // The role check (ConfigCheckSeconds) usually corrects this connection's view within a second or two, but not always:
    // under load a promoted node stayed a "replica" to it for more than 30 s. A new connection reads every node's role as
    // it connects, so a connection whose view is stale is replaced, at most once every two seconds; the old one is closed
    // once the waits still running on it are done.
    private void Reconnect(Task<ConnectionMultiplexer> stale)
    {
        var now = TimeProvider.System.GetTimestamp();
        var last = Interlocked.Read(ref _reconnectedAt);
        if (_disposed || (last != 0 && TimeProvider.System.GetElapsedTime(last, now) < TimeSpan.FromSeconds(2)) || Interlocked.CompareExchange(ref _reconnectedAt, now, last) != last)
        {
            return;
        }

        var fresh = ConnectionMultiplexer.ConnectAsync(_configuration);
        if (Interlocked.CompareExchange(ref _acknowledgements, fresh, stale) == stale)
        {
            _ = CloseLaterAsync(stale, _timeout + TimeSpan.FromMilliseconds(_configuration.AsyncTimeout));
        }
        else
        {
            _ = CloseLaterAsync(fresh, TimeSpan.Zero);
        }
    }

    private static async Task CloseLaterAsync(Task<ConnectionMultiplexer> connection, TimeSpan after)
    {
        try
        {
            await Task.Delay(after, TimeProvider.System);
            await (await connection).DisposeAsync();
        }
        catch (Exception ex) when (ex is RedisException or ObjectDisposedException)
        {
            // A connection that failed to open, or is closed already: nothing left to close.
        }
    }

    /// <summary>The group commit of one node: one barrier and wait in flight; who arrives meanwhile shares the next.</summary>
    private sealed class NodeBarrier(RedisDurability durability, EndPoint endpoint)
    {
        private readonly Lock _gate = new();
        private bool _running;
        private (TaskCompletionSource Batch, RedisKey Key)? _next;

        public Task ConfirmAsync(RedisKey touched)
        {
            lock (_gate)
            {
                if (_running)
                {
                    _next ??= (new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously), touched);
                    return _next.Value.Batch.Task;
                }

                _running = true;
            }

            var batch = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _ = RunAsync(batch, touched);
            return batch.Task;
        }

        // Never throws: each batch's outcome goes to its waiters.
        private async Task RunAsync(TaskCompletionSource batch, RedisKey touched)
        {
            while (true)
            {
                try
                {
                    await durability.BarrierAndWaitAsync(endpoint, touched);
                    batch.TrySetResult();
                }
                catch (Exception ex)
                {
                    batch.TrySetException(ex);
                }

                lock (_gate)
                {
                    if (_next is not { } next)
                    {
                        _running = false;
                        return;
                    }

                    (batch, touched) = next;
                    _next = null;
                }
            }
        }
    }
}
