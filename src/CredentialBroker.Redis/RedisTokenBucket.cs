using System.Threading.RateLimiting;
using CredentialBroker.Abstractions.RateLimiting;
using StackExchange.Redis;

namespace CredentialBroker.Redis;

/// <summary>
/// A token bucket kept in Redis (<c>token_bucket.lua</c>, on Redis's clock), so every replica draws on one budget. A local
/// bucket with the same settings goes first: a caller that floods this replica is refused here without a Redis call, so the
/// limit cannot itself become the load on Redis it exists to prevent. (A request Redis refuses has spent a local token too:
/// the local bucket is then stricter than the shared one only while the caller is over its limit anyway.) It decides asynchronously only: the synchronous
/// attempt refuses without taking a token (ASP.NET Core's rate limiting middleware then awaits
/// <see cref="RateLimiter.AcquireAsync"/>). A Redis that cannot be reached surfaces as
/// <see cref="Abstractions.Storage.StoreUnavailableException"/>: the broker fails closed, as the request itself would.
/// <para>
/// A busy caller does not cost a Redis round trip per request: the replica takes up to <see cref="Batch"/> permits from the
/// shared bucket at once (a tenth of the burst or of the refill, whichever is smaller; one for small buckets, so they stay
/// exact) and spends them locally. Permits so taken were removed from the shared bucket, so all replicas together never admit
/// more than the bucket allows; unspent ones lapse after the time the bucket needs to refill that many, so they can never be
/// added on top of a full bucket, and go back to the shared bucket (never above its capacity) with the replica's next round
/// trip (or when the middleware drops this limiter as idle), so a batch costs the bucket only what was spent of it. What a
/// caller can lose is at most one batch per other replica, held there until that replica next takes from the bucket.
/// </para>
/// </summary>
internal sealed class RedisTokenBucket : RateLimiter
{
    private static readonly RateLimitLease Undecided = new Lease(false, null);
    private static readonly RateLimitLease Granted = new Lease(true, null);
    private readonly RedisContext _redis;
    private readonly RedisKey _key;
    private readonly TokenBucketRateLimiterOptions _options;
    private readonly TokenBucket _local;
    private readonly long _lapse;
    private readonly Lock _reserveLock = new();
    private readonly SemaphoreSlim _fetching = new(1, 1);
    private long _reserve;
    private long _reserveUntil;

    public RedisTokenBucket(RedisContext redis, RedisKey key, TokenBucketRateLimiterOptions options)
    {
        _redis = redis;
        _key = key;
        _options = options;
        _local = new TokenBucket(options, redis.Time);
        Batch = Math.Max(1, Math.Min(options.TokenLimit, options.TokensPerPeriod) / 10);
        _lapse = (long)(options.ReplenishmentPeriod.TotalMilliseconds * Batch / options.TokensPerPeriod);
    }

    /// <summary>The most permits taken from the shared bucket in one round trip.</summary>
    internal int Batch { get; }

    public override TimeSpan? IdleDuration => _local.IdleDuration;

    public override RateLimiterStatistics? GetStatistics() => _local.GetStatistics();

    protected override RateLimitLease AttemptAcquireCore(int permitCount) => Undecided;

    protected override async ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken cancellationToken)
    {
        var local = _local.AttemptAcquire(permitCount);
        if (!local.IsAcquired)
        {
            return local;
        }

        local.Dispose();
        if (Batch == 1)
        {
            return await TakeFromRedisAsync(permitCount, cancellationToken);
        }

        if (TakeFromReserve(permitCount))
        {
            return Granted;
        }

        // One request at a time asks Redis for the next batch; the others wait for it rather than each taking a batch.
        await _fetching.WaitAsync(cancellationToken);
        try
        {
            return TakeFromReserve(permitCount) ? Granted : await TakeFromRedisAsync(permitCount, cancellationToken);
        }
        finally
        {
            _fetching.Release();
        }
    }

    private async ValueTask<RateLimitLease> TakeFromRedisAsync(int permitCount, CancellationToken cancellationToken)
    {
        // What is left of the last batch (it lapsed, or is less than this request) goes back to the shared bucket with this
        // call: a batch costs the bucket only what was spent of it, however slowly requests come. If the call fails they are
        // lost; if it is retried after running, the retry returns them again but also takes at least as many (the script
        // takes what it can, up to a batch), so a retry can lose permits but never admit more than the bucket holds.
        long unspent;
        lock (_reserveLock)
        {
            unspent = _reserve;
            _reserve = 0;
        }

        var reply = await _redis.ExecuteAsync(
            async ct => (RedisResult[])(await _redis.Db.ScriptEvaluateAsync(RedisScripts.TokenBucket, [_key],
                [_options.TokenLimit, _options.TokensPerPeriod, (long)_options.ReplenishmentPeriod.TotalMilliseconds, permitCount, Math.Max(permitCount, Batch), unspent]))!,
            cancellationToken);
        if ((int)reply[0] != 1)
        {
            return new Lease(false, TimeSpan.FromMilliseconds((long)reply[1]));
        }

        if ((long)reply[2] > permitCount)
        {
            lock (_reserveLock)
            {
                // Taken only when the reserve could not serve this request: what was left of it is less than one request.
                _reserve = (long)reply[2] - permitCount;
                _reserveUntil = _redis.Time.GetTimestamp() + (_lapse * _redis.Time.TimestampFrequency / 1000);
            }
        }

        return Granted;
    }

    private bool TakeFromReserve(int permitCount)
    {
        lock (_reserveLock)
        {
            if (_reserve < permitCount || _redis.Time.GetTimestamp() >= _reserveUntil)
            {
                return false;
            }

            _reserve -= permitCount;
            return true;
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            // The rate limiting middleware drops a caller's limiter once it has been idle a while; what it still holds goes
            // back to the shared bucket now (without waiting: a lost reply only loses those permits, never adds any).
            long unspent;
            lock (_reserveLock)
            {
                unspent = _reserve;
                _reserve = 0;
            }

            if (unspent > 0)
            {
                try
                {
                    _redis.Db.ScriptEvaluate(RedisScripts.TokenBucket, [_key],
                        [_options.TokenLimit, _options.TokensPerPeriod, (long)_options.ReplenishmentPeriod.TotalMilliseconds, 0, 0, unspent], CommandFlags.FireAndForget);
                }
                catch (RedisException)
                {
                    // Redis is away: the permits lapse with the limiter, as before.
                }
            }

            _local.Dispose();
            _fetching.Dispose();
        }

        base.Dispose(disposing);
    }

    private sealed class Lease(bool acquired, TimeSpan? retryAfter) : RateLimitLease
    {
        public override bool IsAcquired => acquired;

        public override IEnumerable<string> MetadataNames => retryAfter is null ? [] : [MetadataName.RetryAfter.Name];

        public override bool TryGetMetadata(string metadataName, out object? metadata)
        {
            metadata = retryAfter;
            return retryAfter is not null && metadataName == MetadataName.RetryAfter.Name;
        }
    }
}
