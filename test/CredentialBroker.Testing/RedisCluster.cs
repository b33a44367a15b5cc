using System.Globalization;

namespace CredentialBroker.Testing;

/// <summary>
/// A real Redis Cluster for tests: six <c>redis-server --cluster-enabled yes</c> processes on free loopback ports,
/// joined by <c>redis-cli --cluster create … --cluster-replicas 1</c> into three primaries with one replica each. Ready
/// once every node says <c>cluster_state:ok</c>, knows all six, and every replica's link to its primary is up. A test may
/// kill a primary (<see cref="RedisServer.StopAsync"/> sends SIGKILL), wait for its replica's promotion and restart it.
/// </summary>
public sealed class RedisCluster : IAsyncDisposable
{
    private static readonly TimeSpan FormTimeout = TimeSpan.FromSeconds(30);

    private RedisCluster(IReadOnlyList<RedisServer> nodes)
    {
        Nodes = nodes;
    }

    /// <summary>The six nodes.</summary>
    public IReadOnlyList<RedisServer> Nodes { get; }

    /// <summary>A StackExchange.Redis configuration string naming one node (the client discovers the rest).</summary>
    public string ConnectionString => Nodes[0].ConnectionString;

    /// <summary>Starts the nodes, forms the cluster and waits until it is ready.</summary>
    public static Task<RedisCluster> StartAsync() => StartAsync(TimeSpan.FromSeconds(5));

    /// <summary>
    /// Starts the nodes with <paramref name="nodeTimeout"/> (<c>cluster-node-timeout</c>: how long a primary may be
    /// unreachable before its replica is elected in its place), forms the cluster and waits until it is ready.
    /// </summary>
    public static async Task<RedisCluster> StartAsync(TimeSpan nodeTimeout)
    {
        var timeout = ((long)nodeTimeout.TotalMilliseconds).ToString(CultureInfo.InvariantCulture);
        var starting = Enumerable.Range(0, 6).Select(_ => RedisServer.StartPrivateAsync(
            "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", timeout)).ToList();
        try
        {
            await Task.WhenAll(starting);
        }
        catch
        {
            // One node failed to start: stop those that did, so no process outlives the test run.
            foreach (var started in starting.Where(t => t.IsCompletedSuccessfully))
            {
                await started.Result.DisposeAsync();
            }

            throw;
        }

        var cluster = new RedisCluster([.. starting.Select(t => t.Result)]);
        try
        {
            var create = await ProcessRunner.RunAsync(RedisCli(),
                ["--cluster", "create", .. cluster.Nodes.Select(n => n.ConnectionString), "--cluster-replicas", "1", "--cluster-yes"]);
            if (create.ExitCode != 0)
            {
                throw new InvalidOperationException($"redis-cli --cluster create failed (exit {create.ExitCode}):{Environment.NewLine}{create.StandardOutput}{create.StandardError}");
            }

            await cluster.WaitUntilHealthyAsync(FormTimeout);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>Sends a command to every node (as the default user) and returns the replies in node order.</summary>
    public Task<RespReply[]> OnEveryNodeAsync(params string[] command) => OnNodesAsync(Nodes, command);

    /// <summary>Waits until every node is up, three are primaries and three replicas with their links up, and all agree the cluster is ok.</summary>
    public Task WaitUntilHealthyAsync(TimeSpan timeout) =>
        Poll.UntilAsync(IsReadyAsync, timeout, "every node of the cluster reports cluster_state:ok, knows all six nodes, and every replica's link is up");

    /// <summary>The nodes that are primaries now.</summary>
    public async Task<IReadOnlyList<RedisServer>> PrimariesAsync()
    {
        var primaries = new List<RedisServer>();
        foreach (var node in Nodes.Where(n => n.IsRunning))
        {
            if ((await OnNodesAsync([node], "ROLE"))[0].Items[0].Text == "master")
            {
                primaries.Add(node);
            }
        }

        return primaries;
    }

    /// <summary>
    /// Waits until the other nodes have failed <paramref name="dead"/> over: each reports <c>cluster_state:ok</c>, marks it
    /// failed, and counts three live primaries (its replica promoted in its place).
    /// </summary>
    public Task WaitForFailoverAsync(RedisServer dead, TimeSpan timeout) =>
        Poll.UntilAsync(async () =>
        {
            var survivors = Nodes.Where(n => n != dead).ToList();
            foreach (var info in await OnNodesAsync(survivors, "CLUSTER", "INFO"))
            {
                if (!(info.Text ?? string.Empty).Contains("cluster_state:ok", StringComparison.Ordinal))
                {
                    return false;
                }
            }

            var deadAddress = string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{dead.Port}@");
            foreach (var nodes in await OnNodesAsync(survivors, "CLUSTER", "NODES"))
            {
                var lines = (nodes.Text ?? string.Empty).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ')).ToList();
                if (!lines.Any(l => l[1].StartsWith(deadAddress, StringComparison.Ordinal) && l[2].Contains("fail", StringComparison.Ordinal) && !l[2].Contains("fail?", StringComparison.Ordinal))
                    || lines.Count(l => l[2].Contains("master", StringComparison.Ordinal) && !l[2].Contains("fail", StringComparison.Ordinal)) != 3)
                {
                    return false;
                }
            }

            return true;
        }, timeout, $"the cluster fails over the primary on port {dead.Port}: its replica promoted, every other node agreeing");

    private static async Task<RespReply[]> OnNodesAsync(IEnumerable<RedisServer> nodes, params string[] command)
    {
        var replies = new List<RespReply>();
        foreach (var node in nodes)
        {
            await using var connection = await RespConnection.ConnectAsync("127.0.0.1", node.Port);
            replies.Add(await connection.SendAsync(command));
        }

        return [.. replies];
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        foreach (var node in Nodes)
        {
            await node.DisposeAsync();
        }
    }

    private async Task<bool> IsReadyAsync()
    {
        if (Nodes.Any(n => !n.IsRunning))
        {
            return false;
        }

        foreach (var reply in await OnEveryNodeAsync("CLUSTER", "INFO"))
        {
            var info = reply.Text ?? string.Empty;
            if (!info.Contains("cluster_state:ok", StringComparison.Ordinal)
                || !info.Contains("cluster_known_nodes:6", StringComparison.Ordinal))
            {
                return false;
            }
        }

        // Every node also sees three primaries and three replicas, none still in handshake.
        foreach (var reply in await OnEveryNodeAsync("CLUSTER", "NODES"))
        {
            var lines = (reply.Text ?? string.Empty).Split('\n', StringSplitOptions.RemoveEmptyEntries);
            var flags = lines.Select(l => l.Split(' ')[2]).ToList();
            if (flags.Count(f => f.Contains("master", StringComparison.Ordinal)) != 3
                || flags.Count(f => f.Contains("slave", StringComparison.Ordinal)) != 3
                || flags.Any(f => f.Contains("handshake", StringComparison.Ordinal) || f.Contains("fail", StringComparison.Ordinal) || f.Contains("noaddr", StringComparison.Ordinal)))
            {
                return false;
            }
        }

        // Every replica has finished its sync: until then a WAIT on its primary could not count it.
        foreach (var reply in await OnEveryNodeAsync("INFO", "replication"))
        {
            var info = reply.Text ?? string.Empty;
            if (info.Contains("role:slave", StringComparison.Ordinal) && !info.Contains("master_link_status:up", StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }

    private static string RedisCli()
    {
        var configured = Environment.GetEnvironmentVariable("CB_REDIS_CLI");
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return configured;
        }

        foreach (var directory in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator))
        {
            var candidate = Path.Combine(directory, "redis-cli");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
            $"redis-cli was not found on PATH. The cluster tests form a real Redis Cluster with it: run './build.sh test' (it installs it), or 'apt-get install redis-tools', or set CB_REDIS_CLI to its path."));
    }
}
