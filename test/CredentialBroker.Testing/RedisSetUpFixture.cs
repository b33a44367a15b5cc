namespace CredentialBroker.Testing;

/// <summary>
/// Base of each test assembly's <c>[SetUpFixture]</c>: one real redis-server for the whole assembly (or
/// <c>CB_TEST_REDIS</c>), and one real Redis Cluster, started when a test first asks for it. Tests isolate by key prefix.
/// </summary>
public abstract class RedisSetUpFixture
{
    private static readonly Lazy<Task<RedisCluster>> SharedCluster = new(RedisCluster.StartAsync);

    /// <summary>The shared server.</summary>
    public static RedisServer Server { get; private set; } = null!;

    /// <summary>The shared cluster (three primaries, three replicas), started on first use. Tests that stop its nodes start their own.</summary>
    public static Task<RedisCluster> ClusterAsync() => SharedCluster.Value;

    /// <summary>Starts the server.</summary>
    protected static async Task StartServerAsync() => Server = await RedisServer.StartSharedAsync();

    /// <summary>Stops the server, and the cluster if a test started it.</summary>
    protected static async Task StopServerAsync()
    {
        try
        {
            await Server.DisposeAsync();
        }
        finally
        {
            // A cluster still forming is awaited; one that failed to form has already stopped its nodes (RedisCluster.StartAsync).
            if (SharedCluster.IsValueCreated)
            {
                var forming = SharedCluster.Value;
                await ((Task)forming).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                if (forming.IsCompletedSuccessfully)
                {
                    await forming.Result.DisposeAsync();
                }
            }
        }
    }
}
