using StackExchange.Redis;

namespace CredentialBroker.Redis;

/// <summary>
/// Asks the main multiplexer to read the cluster's slot map again when a reply shows its view is stale, at most once a
/// second however many calls fail meanwhile. The client learns node roles by itself (its role check, every second or
/// two: see RedisStoreBuilderExtensions.Configuration), but not who now serves a slot: once it knows the node its map
/// names for a slot has become a replica, it refuses to send a write there ("cannot be issued to a replica", "no
/// connection … not eligible for replica"), so no MOVED reply ever corrects the map. A reconfiguration reads
/// <c>CLUSTER NODES</c> from the configured endpoints and rebuilds the map from it.
/// </summary>
internal sealed class TopologyRefresh(IConnectionMultiplexer connection)
{
    private long _last;

    /// <summary>Whether <paramref name="ex"/> says the client's view of which node is a primary is out of date.</summary>
    public static bool IsStale(Exception ex) =>
        (ex is RedisCommandException command && RedisResilience.IsTransient(command))
        || ex is RedisConnectionException { FailureType: ConnectionFailureType.UnableToResolvePhysicalConnection }
        || (ex is RedisServerException server && (server.Message.StartsWith("READONLY", StringComparison.Ordinal) || server.Message.StartsWith("CLUSTERDOWN", StringComparison.Ordinal)));

    /// <summary>Starts a refresh unless one started less than a second ago; never throws, never waits.</summary>
    public void Request()
    {
        // The machine's clock, not the broker's (tests freeze that one): this paces network traffic, it decides nothing.
        var now = TimeProvider.System.GetTimestamp();
        var last = Interlocked.Read(ref _last);
        if ((last != 0 && TimeProvider.System.GetElapsedTime(last, now) < TimeSpan.FromSeconds(1)) || Interlocked.CompareExchange(ref _last, now, last) != last)
        {
            return;
        }

        _ = connection.ConfigureAsync().ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }
}
