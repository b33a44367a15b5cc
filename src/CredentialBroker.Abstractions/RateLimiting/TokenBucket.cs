using System.Threading.RateLimiting;

namespace CredentialBroker.Abstractions.RateLimiting;

/// <summary>
/// A token bucket on a <see cref="TimeProvider"/>: up to <see cref="TokenBucketRateLimiterOptions.TokenLimit"/> permits,
/// refilled by <see cref="TokenBucketRateLimiterOptions.TokensPerPeriod"/> at the end of each
/// <see cref="TokenBucketRateLimiterOptions.ReplenishmentPeriod"/>, computed when asked rather than by a timer, so tests drive
/// it with a fake clock (the framework's <see cref="TokenBucketRateLimiter"/> reads the stopwatch). It never queues: a permit
/// is granted at once or refused with <see cref="MetadataName.RetryAfter"/>. The arithmetic is that of the Redis bucket
/// (<c>token_bucket.lua</c>), so a limit behaves the same whichever store keeps it.
/// </summary>
public sealed class TokenBucket : RateLimiter
{
    private readonly Lock _gate = new();
    private readonly TimeProvider _time;
    private readonly long _capacity;
    private readonly long _perPeriod;
    private readonly TimeSpan _period;
    private long _tokens;
    private long _since; // timestamp of the last refill (or, while the bucket is full, of the moment it became full)

    /// <summary>Creates a full bucket.</summary>
    public TokenBucket(TokenBucketRateLimiterOptions options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.TokenLimit, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.TokensPerPeriod, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.ReplenishmentPeriod, TimeSpan.Zero);
        _time = time;
        _capacity = options.TokenLimit;
        _perPeriod = options.TokensPerPeriod;
        _period = options.ReplenishmentPeriod;
        _tokens = _capacity;
        _since = time.GetTimestamp();
    }

    /// <inheritdoc/>
    public override TimeSpan? IdleDuration
    {
        get
        {
            lock (_gate)
            {
                var now = _time.GetTimestamp();
                Refill(now);
                return _tokens == _capacity ? _time.GetElapsedTime(_since, now) : null;
            }
        }
    }

    /// <inheritdoc/>
    public override RateLimiterStatistics? GetStatistics()
    {
        lock (_gate)
        {
            Refill(_time.GetTimestamp());
            return new RateLimiterStatistics { CurrentAvailablePermits = _tokens };
        }
    }

    /// <inheritdoc/>
    protected override RateLimitLease AttemptAcquireCore(int permitCount)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(permitCount, _capacity);
        lock (_gate)
        {
            var now = _time.GetTimestamp();
            Refill(now);
            if (_tokens >= permitCount && (permitCount > 0 || _tokens > 0))
            {
                if (_tokens == _capacity && permitCount > 0)
                {
                    _since = now; // the first period starts with the first permit taken from a full bucket
                }

                _tokens -= permitCount;
                return Lease.Granted;
            }

            var periods = (Math.Max(1, permitCount) - _tokens + _perPeriod - 1) / _perPeriod;
            return new Lease(false, (_period * periods) - _time.GetElapsedTime(_since, now));
        }
    }

    /// <inheritdoc/>
    protected override ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken cancellationToken) =>
        ValueTask.FromResult(AttemptAcquireCore(permitCount));

    private void Refill(long now)
    {
        if (_tokens == _capacity)
        {
            return;
        }

        var periods = (long)(_time.GetElapsedTime(_since, now) / _period);
        if (periods <= 0)
        {
            return;
        }

        var refilled = _tokens + (periods * _perPeriod);
        if (refilled >= _capacity)
        {
            // Full from the end of the period that filled it: the idle time counts from there.
            var filledAfter = (_capacity - _tokens + _perPeriod - 1) / _perPeriod;
            _since += (long)((_period * filledAfter).TotalSeconds * _time.TimestampFrequency);
            _tokens = _capacity;
        }
        else
        {
            _since += (long)((_period * periods).TotalSeconds * _time.TimestampFrequency);
            _tokens = refilled;
        }
    }

    // A lease that holds nothing: a token bucket's permits are spent, not returned.
    private sealed class Lease(bool acquired, TimeSpan? retryAfter) : RateLimitLease
    {
        public static readonly Lease Granted = new(true, null);

        private readonly TimeSpan? _retryAfter = retryAfter;

        public override bool IsAcquired { get; } = acquired;

        public override IEnumerable<string> MetadataNames => _retryAfter is null ? [] : [MetadataName.RetryAfter.Name];

        public override bool TryGetMetadata(string metadataName, out object? metadata)
        {
            metadata = _retryAfter;
            return _retryAfter is not null && metadataName == MetadataName.RetryAfter.Name;
        }
    }
}
