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
    /// <remarks>One script call (<c>feed_append.lua</c>) per <see cref="AppendChunk"/> events, all sent at once.</remarks>
    public async ValueTask<IReadOnlyList<string>> AppendAsync(IReadOnlyList<RevocationEvent> revocations, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(revocations);
        if (revocations.Count == 0)
        {
            return [];
        }

        var chunks = revocations.Chunk(AppendChunk).Select(chunk => chunk.SelectMany(r => new RedisValue[]
        {
            r.Jti, r.TaskId, r.ExpiresAt.ToUnixTimeSeconds(), r.Reason, r.RevokedAt.ToUnixTimeMilliseconds(),
        }).ToArray()).ToList();

        // Confirmed before the revoker records the credentials as delivered, as for one event. Chunks are appended in order
        // (a follower sees the events in the order given); they are all on the wire before the first answer is awaited.
        return await _redis.ExecuteDurableAsync<IReadOnlyList<string>>(async (touched, ct) =>
        {
            touched.Add(_key);
            var calls = chunks.Select(args => _redis.Db.ScriptEvaluateAsync(RedisScripts.FeedAppend, [_key], args)).ToList();
            var ids = new List<string>(revocations.Count);
            foreach (var call in calls)
            {
                ids.AddRange(((RedisResult[])(await call)!).Select(id => (string)id!));
            }

            return ids;
        }, cancellationToken);
    }

    /// <summary>How many events one script call appends at most.</summary>
    internal const int AppendChunk = 500;

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
