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

    /// <summary>
    /// How many sorted sets the expiry index is split over (hash slots <c>{exp:0}</c> … <c>{exp:N-1}</c>), so it spreads
    /// across a cluster's primaries. Default 16; 1 to 1024. Raise it, never lower it, while records exist: a lowered count
    /// no longer sweeps the shards above it.
    /// </summary>
    public int ExpiryIndexShards { get; set; } = 16;

    /// <summary>
    /// How many hash slots (<c>{idx:0}</c> … <c>{idx:N-1}</c>) the SOC indexes (by holder, workflow, approval, approver,
    /// resource) are split over. A task's entries all go to one shard, chosen by its id, so one script call writes them;
    /// a selector reads every shard. Default 16; 1 to 1024. Raise it, never lower it, while records exist.
    /// </summary>
    public int SocIndexShards { get; set; } = 16;

    /// <summary>
    /// How many hash chains the boundary log is split over. Chain N lives in hash slot <c>{t:N}</c> together with the records
    /// of the tasks whose events it holds, so the script that records a task's action appends its event in the same atomic
    /// step. Default 1: one chain, every event in one order (right for a single Redis server). On a Redis Cluster use several
    /// per primary (for example 16) so tasks spread over the primaries. 1 to 1024. Set it once: a task is found through its
    /// chain, so a changed count loses sight of the tasks recorded before.
    /// </summary>
    public int AuditChains { get; set; } = 1;

    /// <summary>
    /// How many streams (<c>{work:0}</c> … <c>{work:N-1}</c>) the revoker's work queue is split over. A task's work goes
    /// to one stream, chosen by its id; every replica takes work from all of them. Default 16; 1 to 256. Raise it, never
    /// lower it, while work is queued.
    /// </summary>
    public int WorkQueueShards { get; set; } = 16;

    /// <summary>
    /// How many replicas must acknowledge a write (Redis <c>WAIT</c>) before the broker acknowledges it: issuance,
    /// revocations, state changes, bulk revocations, incidents, risk levels, revocation feed entries and downstream
    /// outcomes. Default 0: no wait (a write acknowledged just before an unplanned failover can be lost). With 1 or more,
    /// a write the replicas do not acknowledge within <see cref="ReplicaWaitTimeout"/> fails closed (503). 0 to 16; no more
    /// than each primary has replicas, or every such write fails.
    /// </summary>
    public int WaitForReplicas { get; set; }

    /// <summary>How long the broker waits for <see cref="WaitForReplicas"/> replicas to acknowledge a write. Default 500 ms; above zero, below <see cref="OperationTimeout"/>.</summary>
    public TimeSpan ReplicaWaitTimeout { get; set; } = TimeSpan.FromMilliseconds(500);

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
