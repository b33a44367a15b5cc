using System.Threading.RateLimiting;
using CredentialBroker.Abstractions.RateLimiting;

namespace CredentialBroker.Redis;

/// <summary>Token buckets in Redis, shared by every replica (<see cref="RedisTokenBucket"/>).</summary>
internal sealed class RedisRateLimitBuckets(RedisContext redis) : IRateLimitBuckets
{
    public RateLimiter Create(string limit, string partition, TokenBucketRateLimiterOptions options) =>
        new RedisTokenBucket(redis, redis.Keys.RateLimit(limit, partition), options);
}
