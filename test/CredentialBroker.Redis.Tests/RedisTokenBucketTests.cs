using System.Threading.RateLimiting;
using Microsoft.Extensions.Time.Testing;

namespace CredentialBroker.Redis.Tests;

/// <summary>
/// The shared token bucket's batches against a real redis-server: a replica's limiter that the rate limiting middleware
/// drops as idle gives what it still held back to the shared bucket, so a caller who pauses loses nothing of its budget.
/// </summary>
public sealed class RedisTokenBucketTests : IAsyncDisposable
{
    // A burst of 40 and 40 an hour: batches of 4.
    private static readonly TokenBucketRateLimiterOptions Options = new()
    {
        TokenLimit = 40, TokensPerPeriod = 40, ReplenishmentPeriod = TimeSpan.FromHours(1), QueueLimit = 0, AutoReplenishment = false,
    };

    private readonly StoreFactory _factory = new();

    public ValueTask DisposeAsync() => _factory.DisposeAsync();

    private static async Task<int> AdmittedAsync(RateLimiter limiter)
    {
        var admitted = 0;
        while (true)
        {
            using var lease = await limiter.AcquireAsync(1);
            if (!lease.IsAcquired)
            {
                return admitted;
            }

            admitted++;
        }
    }

    [Test]
    public async Task A_dropped_limiter_gives_back_what_it_held_and_one_still_holding_does_not()
    {
        _factory.Create(new FakeTimeProvider(TimeProvider.System.GetUtcNow()), RedisFixture.Server.ConnectionString);
        var buckets = new RedisRateLimitBuckets(_factory.Context);

        // Each caller spends 1 permit on one replica, which took a batch of 4 from the shared 40 and holds 3.
        var dropped = buckets.Create("issuance", "dropped-caller", Options);
        var held = buckets.Create("issuance", "holding-caller", Options);
        using (await dropped.AcquireAsync(1))
        using (await held.AcquireAsync(1))
        {
        }

        dropped.Dispose(); // the middleware drops an idle limiter; the 3 it held go back to the shared bucket
        var afterDrop = await AdmittedAsync(buckets.Create("issuance", "dropped-caller", Options)); // another replica
        var whileHeld = await AdmittedAsync(buckets.Create("issuance", "holding-caller", Options));
        held.Dispose();

        Assert.Multiple(() =>
        {
            Assert.That(afterDrop, Is.EqualTo(39), "40 in all for the caller: nothing lost with the dropped limiter");
            Assert.That(whileHeld, Is.EqualTo(36), "the 3 held on the first replica are not available elsewhere meanwhile");
        });
    }
}
