using System.Net;
using System.Net.Sockets;

namespace CredentialBroker.Testing;

/// <summary>
/// A TCP forwarder on a free loopback port in front of one server, which a test can cut off as a network partition
/// would: while partitioned, bytes read from either side are held, not delivered and not refused, and no connection
/// fails (neither side learns anything; its own timeouts are all it has). Healing delivers what was held, late, as TCP
/// would after the network came back. Connections opened during the partition reach the server only after it heals.
/// </summary>
public sealed class PartitionProxy : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly IPEndPoint _target;
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Task> _pumps = [];
    private readonly Task _accepting;
    private readonly Lock _gate = new();
    private TaskCompletionSource _healed = Healed();
    private long _held;
    private long _heldInAll;
    private int _waitingToConnect;

    /// <summary>Starts forwarding to <paramref name="target"/>.</summary>
    public PartitionProxy(IPEndPoint target)
    {
        _target = target;
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        _accepting = AcceptAsync();
    }

    /// <summary>The loopback port clients connect to.</summary>
    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>How many bytes the partition has held in all (what crossed late, or is still to).</summary>
    public long HeldInAll => Interlocked.Read(ref _heldInAll);

    /// <summary>
    /// Whether everything the partition held has crossed since it healed: no bytes held, no connection waiting to reach the
    /// server. (What the server then does with them is its own affair; it has them.)
    /// </summary>
    public bool IsDrained => !IsPartitioned && Interlocked.Read(ref _held) == 0 && Volatile.Read(ref _waitingToConnect) == 0;

    /// <summary>Whether the link is cut.</summary>
    public bool IsPartitioned => !Link.IsCompleted;

    // Completes when the link is up.
    private Task Link => Volatile.Read(ref _healed).Task;

    /// <summary>Cuts the link: from now on nothing crosses it until <see cref="Heal"/>.</summary>
    public void Partition()
    {
        lock (_gate)
        {
            if (_healed.Task.IsCompleted)
            {
                Volatile.Write(ref _healed, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
            }
        }
    }

    /// <summary>Restores the link; what was held crosses it now.</summary>
    public void Heal()
    {
        lock (_gate)
        {
            _healed.TrySetResult();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        _listener.Stop();
        Heal();
        Task[] pumps;
        lock (_pumps)
        {
            pumps = [.. _pumps, _accepting];
        }

        await Task.WhenAll(pumps.Select(p => p.ContinueWith(static _ => { }, TaskScheduler.Default)));
        _stopping.Dispose();
    }

    private static TaskCompletionSource Healed()
    {
        var healed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        healed.SetResult();
        return healed;
    }

    private async Task AcceptAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptSocketAsync(_stopping.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            lock (_pumps)
            {
                _pumps.RemoveAll(p => p.IsCompleted);
                _pumps.Add(ConnectAsync(client));
            }
        }
    }

    private async Task ConnectAsync(Socket client)
    {
        using (client)
        {
            using var server = new Socket(SocketType.Stream, ProtocolType.Tcp);
            var waiting = true;
            Interlocked.Increment(ref _waitingToConnect);
            try
            {
                await Link.WaitAsync(_stopping.Token);
                await server.ConnectAsync(_target, _stopping.Token);
                Interlocked.Decrement(ref _waitingToConnect);
                waiting = false;
                await Task.WhenAny(PumpAsync(client, server), PumpAsync(server, client));
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                // The server is gone or the proxy is stopping: the connection ends, as it would.
            }
            finally
            {
                if (waiting)
                {
                    Interlocked.Decrement(ref _waitingToConnect);
                }
            }
        }
    }

    private async Task PumpAsync(Socket from, Socket to)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            while (true)
            {
                var read = await from.ReceiveAsync(buffer, SocketFlags.None, _stopping.Token);
                var link = Link;
                var held = link.IsCompleted ? 0 : read;
                Interlocked.Add(ref _held, held);
                Interlocked.Add(ref _heldInAll, held);

                try
                {
                    await link.WaitAsync(_stopping.Token);
                    if (read == 0)
                    {
                        to.Shutdown(SocketShutdown.Send);
                        return;
                    }

                    await to.SendAsync(buffer.AsMemory(0, read), SocketFlags.None, _stopping.Token);
                }
                finally
                {
                    // Crossed, or never will (a side is gone): either way no longer held.
                    Interlocked.Add(ref _held, -held);
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // One side is gone: the other follows when the pair is disposed.
        }
    }
}
