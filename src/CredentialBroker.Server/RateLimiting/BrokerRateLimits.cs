using System.Security.Claims;
using System.Threading.RateLimiting;
using CredentialBroker.Abstractions;
using CredentialBroker.Abstractions.Identity;
using CredentialBroker.Abstractions.RateLimiting;
using CredentialBroker.Core.Exchange;
using CredentialBroker.Server.Identity;
using CredentialBroker.Soc;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace CredentialBroker.Server.RateLimiting;

/// <summary>
/// The broker's rate limits, on ASP.NET Core's rate limiting middleware (which runs after authentication and authorization,
/// so every partition is an authenticated caller): a policy per endpoint, partitioned by the caller's SPIFFE ID. The limits
/// whose partition is known only once a token or event is verified — per task on the exchange, per transmitter on the
/// Shared Signals receiver — are keyed <see cref="PartitionedRateLimiter{TResource}"/>s the exchange and the receiver consult.
/// Limits that protect Redis draw on the store's <see cref="IRateLimitBuckets"/> (shared across replicas on Redis); limits
/// that protect the process are local token buckets.
/// </summary>
internal static class BrokerRateLimits
{
    public const string Issuance = "issuance";
    public const string Exchange = "exchange";
    public const string Introspection = "introspection";
    public const string Revocation = "revocation";

    public static IServiceCollection AddBrokerRateLimits(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<RateLimitOptions>().Bind(configuration.GetSection(RateLimitOptions.SectionName)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<RateLimitOptions>, RateLimitOptionsValidator>();
        services.AddKeyedSingleton(TokenExchangeService.TaskRateLimiterKey, (sp, _) => Shared(sp, "task", o => o.TaskExchange));
        services.AddKeyedSingleton(SsfReceiver.TransmitterRateLimiterKey, (sp, _) => Shared(sp, "transmitter", o => o.Transmitter));
        services.AddRateLimiter(limiter =>
        {
            limiter.AddPolicy(Issuance, http => PerCaller(http, Issuance, o => o.Issuance, shared: true));
            limiter.AddPolicy(Exchange, http => PerCaller(http, Exchange, o => o.Exchange, shared: true));
            limiter.AddPolicy(Introspection, http => PerCaller(http, Introspection, o => o.Introspection, shared: false));
            limiter.AddPolicy(Revocation, http => http.User.IsInRole(BrokerPolicies.RoleName(BrokerRoles.Soc))
                ? RateLimitPartition.GetNoLimiter(string.Empty) // the SOC is never limited into failing to revoke
                : PerCaller(http, Revocation, o => o.Revocation, shared: false));
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            limiter.OnRejected = (context, _) => new ValueTask(TooManyRequests.Result(
                    context.HttpContext, context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : null, "from this caller")
                .ExecuteAsync(context.HttpContext));
        });
        return services;
    }

    private static RateLimitPartition<string> PerCaller(HttpContext http, string limit, Func<RateLimitOptions, TokenBucketSettings> bucket, bool shared)
    {
        // The middleware runs after authorization, so every caller here is authenticated; the partition is its SPIFFE ID.
        var caller = http.User.FindFirstValue(ClaimTypes.NameIdentifier) ?? string.Empty;
        var services = http.RequestServices;
        return RateLimitPartition.Get(caller, key =>
        {
            var settings = bucket(services.GetRequiredService<IOptions<RateLimitOptions>>().Value).ToLimiterOptions();
            return shared
                ? services.GetRequiredService<IRateLimitBuckets>().Create(limit, key, settings)
                : new TokenBucket(settings, services.GetRequiredKeyedService<TimeProvider>(BrokerTime.ServiceKey));
        });
    }

    private static PartitionedRateLimiter<string> Shared(IServiceProvider services, string limit, Func<RateLimitOptions, TokenBucketSettings> bucket)
    {
        var buckets = services.GetRequiredService<IRateLimitBuckets>();
        var settings = bucket(services.GetRequiredService<IOptions<RateLimitOptions>>().Value).ToLimiterOptions();
        return PartitionedRateLimiter.Create<string, string>(key => RateLimitPartition.Get(key, k => buckets.Create(limit, k, settings)), StringComparer.Ordinal);
    }
}
