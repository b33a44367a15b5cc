namespace CredentialBroker.Redis;

/// <summary>Settings of the Redis store, bound from <c>CredentialBroker:Redis</c> (the connection string from <c>ConnectionStrings:Redis</c>).</summary>
public sealed class RedisStoreOptions
{
    /// <summary>The configuration section these options bind from.</summary>
    public const string SectionName = "CredentialBroker:Redis";

    /// <summary>A StackExchange.Redis configuration string, for example <c>redis-0:6379,password=…</c>. Required.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>Prefix of every key the broker writes. Default <c>cb</c>; letters, digits, '-', '_', '.' and ':' only.</summary>
    public string KeyPrefix { get; set; } = "cb";

    /// <summary>How many sorted sets the expiry index is split over, so it spreads across a cluster. Default 16.</summary>
    public int ExpiryIndexShards { get; set; } = 16;

    /// <summary>How long one Redis operation may take before it counts as failed. Default 2 s.</summary>
    public TimeSpan OperationTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How often a failed operation is retried (with exponential backoff and jitter). Default 2.</summary>
    public int RetryAttempts { get; set; } = 2;
}
