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

    /// <summary>How often a failed operation is retried (with exponential backoff and jitter). Default 2; 0 to 10.</summary>
    public int RetryAttempts { get; set; } = 2;

    /// <summary>The delay before the first retry; later ones back off exponentially, with jitter. Default 50 ms.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>The share of failed calls within <see cref="BreakSamplingDuration"/> that opens the circuit. Default 0.5; above 0, at most 1.</summary>
    public double BreakFailureRatio { get; set; } = 0.5;

    /// <summary>How many calls the breaker must see in <see cref="BreakSamplingDuration"/> before it may open. Default 20; at least 2.</summary>
    public int BreakMinimumThroughput { get; set; } = 20;

    /// <summary>The window the breaker counts failures in. Default 10 s.</summary>
    public TimeSpan BreakSamplingDuration { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long an open circuit fails calls at once before it lets one through again. Default 2 s.</summary>
    public TimeSpan BreakDuration { get; set; } = TimeSpan.FromSeconds(2);
}
