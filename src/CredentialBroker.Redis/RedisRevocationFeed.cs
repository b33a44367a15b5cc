using System.Globalization;
using CredentialBroker.Abstractions.Storage;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace CredentialBroker.Redis;

/// <summary>
/// The revocation feed as a Redis stream (<c>cb:{feed}:events</c>). Stream ids are the feed's event ids, so a
/// resource server resumes exactly where it stopped; the stream is trimmed by age, never by count.
/// </summary>
public sealed class RedisRevocationFeed : IRevocationFeed
{
    private readonly RedisContext _redis;
    private readonly RedisKey _key;

    /// <summary>Creates the feed over the broker's Redis context.</summary>
    public RedisRevocationFeed(RedisContext redis)
    {
        ArgumentNullException.ThrowIfNull(redis);
        _redis = redis;
        _key = redis.Keys.Feed;
    }

    /// <inheritdoc />
    public ValueTask<string> AppendAsync(RevocationEvent revocation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(revocation);
        NameValueEntry[] fields =
        [
            new("jti", revocation.Jti),
            new("task", revocation.TaskId),
            new("exp", revocation.ExpiresAt.ToUnixTimeSeconds()),
            new("reason", revocation.Reason),
            new("at", revocation.RevokedAt.ToUnixTimeMilliseconds()),
        ];
        // Confirmed before the revoker records the credential as delivered: a feed entry lost in a failover would never
        // be appended again, and followers would accept the token until it expires.
        return _redis.ExecuteDurableAsync(async (touched, ct) =>
        {
            touched.Add(_key);
            return (string)(await _redis.Db.StreamAddAsync(_key, fields))!;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<RevocationEvent>> ReadAsync(string? afterId, int count, CancellationToken cancellationToken) =>
        _redis.ExecuteAsync<IReadOnlyList<RevocationEvent>>(async ct =>
        {
            var entries = await _redis.Db.StreamRangeAsync(_key, afterId is null ? "-" : "(" + afterId, "+", count);
            return [.. entries.Select(e => new RevocationEvent(
                e.Id!,
                (string)e["jti"]!,
                (string)e["task"]!,
                DateTimeOffset.FromUnixTimeSeconds((long)e["exp"]),
                (string)e["reason"]!,
                DateTimeOffset.FromUnixTimeMilliseconds((long)e["at"])))];
        }, cancellationToken);

    /// <inheritdoc />
    public async ValueTask TrimAsync(DateTimeOffset before, CancellationToken cancellationToken) =>
        await _redis.ExecuteAsync(async ct =>
            await _redis.Db.ExecuteAsync("XTRIM", _key, "MINID", before.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture) + "-0"), cancellationToken);
}
