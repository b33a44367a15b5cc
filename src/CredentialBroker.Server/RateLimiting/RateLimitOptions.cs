namespace CredentialBroker.Server.RateLimiting;

/// <summary>
/// Token buckets per caller, task and transmitter, bound from <c>CredentialBroker:RateLimits</c>. Limits that protect Redis
/// (issuance, exchange, per task, per transmitter) are shared by every replica when the store is Redis; those that protect
/// the process (introspection, revocation) are kept by each replica. The SOC is never limited on bulk revocation or on
/// RFC 7009 revocation. Every request past a limit is answered 429 with <c>Retry-After</c>.
/// </summary>
public sealed class RateLimitOptions
{
    /// <summary>The configuration section these options bind from.</summary>
    public const string SectionName = "CredentialBroker:RateLimits";

    /// <summary><c>POST /v1/tasks</c>, per caller (orchestrator), shared. Default: a burst of 200, then 100 a second.</summary>
    public TokenBucketSettings Issuance { get; set; } = new() { TokenLimit = 200, TokensPerPeriod = 100 };

    /// <summary><c>POST /oauth2/token</c>, per caller (agent), shared. Default: a burst of 200, then 100 a second.</summary>
    public TokenBucketSettings Exchange { get; set; } = new() { TokenLimit = 200, TokensPerPeriod = 100 };

    /// <summary>
    /// <c>POST /oauth2/token</c>, per task (whoever presents its tokens), shared: keeps one task's derivation tree from growing
    /// faster than this, well before <c>MaxCredentialsPerTask</c>. Default: a burst of 20, then 10 a second.
    /// </summary>
    public TokenBucketSettings TaskExchange { get; set; } = new() { TokenLimit = 20, TokensPerPeriod = 10 };

    /// <summary><c>POST /oauth2/introspect</c>, per caller (resource server), per replica. Default: a burst of 2,000, then 1,000 a second.</summary>
    public TokenBucketSettings Introspection { get; set; } = new() { TokenLimit = 2000, TokensPerPeriod = 1000 };

    /// <summary><c>POST /oauth2/revoke</c>, per caller except the SOC, per replica. Default: a burst of 200, then 100 a second.</summary>
    public TokenBucketSettings Revocation { get; set; } = new() { TokenLimit = 200, TokensPerPeriod = 100 };

    /// <summary>
    /// <c>POST /v1/ssf/events</c>, per transmitter (counted once an event's signature is verified), shared. Default: a burst of
    /// 50, then 10 a second.
    /// </summary>
    public TokenBucketSettings Transmitter { get; set; } = new() { TokenLimit = 50, TokensPerPeriod = 10 };
}
