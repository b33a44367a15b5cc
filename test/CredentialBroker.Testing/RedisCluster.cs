using System.Globalization;

namespace CredentialBroker.Testing;

/// <summary>
/// A real Redis Cluster for tests: six <c>redis-server --cluster-enabled yes</c> processes on free loopback ports,
/// joined by <c>redis-cli --cluster create … --cluster-replicas 1</c> into three primaries with one replica each. Ready
/// once every node says <c>cluster_state:ok</c> and knows all six.
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
    public static async Task<RedisCluster> StartAsync()
    {
        var nodes = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => RedisServer.StartPrivateAsync(
            "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "5000")));
        var cluster = new RedisCluster(nodes);
        try
        {
            var create = await ProcessRunner.RunAsync(RedisCli(),
                ["--cluster", "create", .. nodes.Select(n => n.ConnectionString), "--cluster-replicas", "1", "--cluster-yes"]);
            if (create.ExitCode != 0)
            {
                throw new InvalidOperationException($"redis-cli --cluster create failed (exit {create.ExitCode}):{Environment.NewLine}{create.StandardOutput}{create.StandardError}");
            }

            await Poll.UntilAsync(cluster.IsReadyAsync, FormTimeout, "every node of the cluster reports cluster_state:ok and knows all six nodes");
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>Sends a command to every node (as the default user) and returns the replies in node order.</summary>
    public async Task<RespReply[]> OnEveryNodeAsync(params string[] command)
    {
        var replies = new List<RespReply>();
        foreach (var node in Nodes)
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
