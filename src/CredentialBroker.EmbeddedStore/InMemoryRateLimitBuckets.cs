using System.Threading.RateLimiting;
using CredentialBroker.Abstractions;
using CredentialBroker.Abstractions.RateLimiting;
using Microsoft.Extensions.DependencyInjection;

namespace CredentialBroker.EmbeddedStore;

/// <summary>Token buckets in process memory: the embedded store serves one process, so its limits are that process's.</summary>
internal sealed class InMemoryRateLimitBuckets([FromKeyedServices(BrokerTime.ServiceKey)] TimeProvider time) : IRateLimitBuckets
{
    public RateLimiter Create(string limit, string partition, TokenBucketRateLimiterOptions options) => new TokenBucket(options, time);
}
