using System.Threading.RateLimiting;

namespace CredentialBroker.Abstractions.RateLimiting;

/// <summary>
/// Where the token buckets of the limits that protect the store live. The Redis store keeps them in Redis, so a caller that
/// spreads its requests over several replicas still has one budget; the embedded store keeps them in process memory.
/// Limits that protect only the process (introspection, revocation) use local buckets whatever the store.
/// </summary>
public interface IRateLimitBuckets
{
    /// <summary>
    /// The token bucket of one <paramref name="partition"/> (a caller's SPIFFE ID, a task id) of the limit named
    /// <paramref name="limit"/>. A refused lease carries <see cref="MetadataName.RetryAfter"/>. The limiter may decide only
    /// asynchronously (<see cref="RateLimiter.AcquireAsync"/>); its synchronous attempt then refuses without consuming a token.
    /// </summary>
    RateLimiter Create(string limit, string partition, TokenBucketRateLimiterOptions options);
}
