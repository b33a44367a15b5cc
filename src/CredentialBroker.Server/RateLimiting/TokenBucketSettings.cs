using System.Threading.RateLimiting;

namespace CredentialBroker.Server.RateLimiting;

/// <summary>One token bucket: up to <see cref="TokenLimit"/> requests at once, refilled by <see cref="TokensPerPeriod"/> every <see cref="ReplenishmentPeriod"/>.</summary>
public sealed class TokenBucketSettings
{
    /// <summary>The burst: how many requests a partition may make at once after being idle. 1 to 1,000,000.</summary>
    public int TokenLimit { get; set; }

    /// <summary>How many tokens come back each period: the sustained rate. 1 to <see cref="TokenLimit"/>.</summary>
    public int TokensPerPeriod { get; set; }

    /// <summary>How often tokens come back. 10 ms to 1 hour. Default 1 s.</summary>
    public TimeSpan ReplenishmentPeriod { get; set; } = TimeSpan.FromSeconds(1);

    internal TokenBucketRateLimiterOptions ToLimiterOptions() => new()
    {
        TokenLimit = TokenLimit,
        TokensPerPeriod = TokensPerPeriod,
        ReplenishmentPeriod = ReplenishmentPeriod,
        QueueLimit = 0,
        AutoReplenishment = true,
    };

    internal IEnumerable<string> Problems(string path)
    {
        if (TokenLimit is < 1 or > 1_000_000)
        {
            yield return $"{path}:TokenLimit is {TokenLimit}; it must lie between 1 and 1,000,000.";
        }

        if (TokensPerPeriod < 1 || TokensPerPeriod > Math.Max(1, TokenLimit))
        {
            yield return $"{path}:TokensPerPeriod is {TokensPerPeriod}; it must lie between 1 and TokenLimit ({TokenLimit}).";
        }

        if (ReplenishmentPeriod < TimeSpan.FromMilliseconds(10) || ReplenishmentPeriod > TimeSpan.FromHours(1))
        {
            yield return $"{path}:ReplenishmentPeriod is {ReplenishmentPeriod}; it must lie between 10 ms and 1 hour.";
        }
    }
}
