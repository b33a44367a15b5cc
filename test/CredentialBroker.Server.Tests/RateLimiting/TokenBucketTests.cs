using System.Threading.RateLimiting;
using CredentialBroker.Abstractions.RateLimiting;
using Microsoft.Extensions.Time.Testing;

namespace CredentialBroker.Server.Tests.RateLimiting;

/// <summary>The in-process token bucket, on a fake clock: a burst, then the sustained rate, and a refusal that says when to retry.</summary>
public sealed class TokenBucketTests
{
    private static readonly TokenBucketRateLimiterOptions ThreeThenOnePerTenSeconds = new()
    {
        TokenLimit = 3,
        TokensPerPeriod = 1,
        ReplenishmentPeriod = TimeSpan.FromSeconds(10),
    };

    [Test]
    public void A_full_bucket_grants_its_burst_then_refuses_with_the_time_until_the_next_token()
    {
        var time = new FakeTimeProvider();
        using var bucket = new TokenBucket(ThreeThenOnePerTenSeconds, time);

        var granted = Enumerable.Range(0, 3).Select(_ => bucket.AttemptAcquire().IsAcquired).ToList();
        time.Advance(TimeSpan.FromSeconds(4));
        using var refused = bucket.AttemptAcquire();

        Assert.Multiple(() =>
        {
            Assert.That(granted, Is.All.True);
            Assert.That(refused.IsAcquired, Is.False);
            Assert.That(refused.TryGetMetadata(MetadataName.RetryAfter, out var wait), Is.True);
            Assert.That(wait, Is.EqualTo(TimeSpan.FromSeconds(6)));
        });
    }

    [Test]
    public async Task A_refused_caller_is_granted_again_once_a_period_has_passed_and_no_sooner()
    {
        var time = new FakeTimeProvider();
        using var bucket = new TokenBucket(ThreeThenOnePerTenSeconds, time);
        for (var i = 0; i < 3; i++)
        {
            bucket.AttemptAcquire().Dispose();
        }

        time.Advance(TimeSpan.FromSeconds(9.999));
        var early = (await bucket.AcquireAsync()).IsAcquired;
        time.Advance(TimeSpan.FromMilliseconds(1));
        var onTime = (await bucket.AcquireAsync()).IsAcquired;
        var next = bucket.AttemptAcquire().IsAcquired;

        Assert.Multiple(() =>
        {
            Assert.That(early, Is.False);
            Assert.That(onTime, Is.True);
            Assert.That(next, Is.False, "one period brings back one token");
        });
    }

    [Test]
    public void An_idle_bucket_refills_to_its_limit_and_no_further_and_says_how_long_it_has_been_idle()
    {
        var time = new FakeTimeProvider();
        using var bucket = new TokenBucket(ThreeThenOnePerTenSeconds, time);
        bucket.AttemptAcquire().Dispose();
        var busy = bucket.IdleDuration;

        time.Advance(TimeSpan.FromHours(1));
        var granted = Enumerable.Range(0, 4).Select(_ => bucket.AttemptAcquire().IsAcquired).ToList();

        Assert.Multiple(() =>
        {
            Assert.That(busy, Is.Null, "a bucket short of tokens is in use");
            Assert.That(granted, Is.EqualTo(new[] { true, true, true, false }));
        });
    }

    [Test]
    public void A_full_bucket_is_idle_from_the_moment_it_refilled()
    {
        var time = new FakeTimeProvider();
        using var bucket = new TokenBucket(ThreeThenOnePerTenSeconds, time);
        bucket.AttemptAcquire().Dispose();

        time.Advance(TimeSpan.FromSeconds(25));

        Assert.That(bucket.IdleDuration, Is.EqualTo(TimeSpan.FromSeconds(15)));
    }
}
