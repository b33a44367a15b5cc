using CredentialBroker.Abstractions.Soc;
using StackExchange.Redis;

namespace CredentialBroker.Redis;

/// <summary>
/// The Shared Signals transmitter's side of the Redis store: streams in one hash, each stream's pending events as a sorted
/// set (the order, scored by an increasing counter) beside a hash of the SETs, written together in one transaction.
/// </summary>
internal sealed class RedisSsfStreamStore(RedisContext redis) : ISsfStreamStore
{
    public ValueTask SaveStreamAsync(string streamId, string configuration, CancellationToken cancellationToken) =>
        Ignore(redis.ExecuteDurableAsync(async (touched, ct) =>
        {
            touched.Add(redis.Keys.SsfStreams);
            return await redis.Db.HashSetAsync(redis.Keys.SsfStreams, streamId, configuration);
        }, cancellationToken));

    public async ValueTask<string?> GetStreamAsync(string streamId, CancellationToken cancellationToken) =>
        (string?)await redis.ExecuteAsync(async ct => await redis.Db.HashGetAsync(redis.Keys.SsfStreams, streamId), cancellationToken);

    public async ValueTask<IReadOnlyList<string>> ListStreamsAsync(CancellationToken cancellationToken) =>
        [.. (await redis.ExecuteAsync(async ct => await redis.Db.HashValuesAsync(redis.Keys.SsfStreams), cancellationToken)).Select(v => (string)v!)];

    public ValueTask<bool> DeleteStreamAsync(string streamId, CancellationToken cancellationToken) =>
        redis.ExecuteDurableAsync(async (touched, ct) =>
        {
            touched.Add(redis.Keys.SsfStreams);
            var deleted = await redis.Db.HashDeleteAsync(redis.Keys.SsfStreams, streamId);
            await redis.Db.KeyDeleteAsync([redis.Keys.SsfPendingOrder(streamId), redis.Keys.SsfPendingSets(streamId)]);
            return deleted;
        }, cancellationToken);

    public async ValueTask EnqueueAsync(string streamId, IReadOnlyList<SsfPendingEvent> events, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(events);
        if (events.Count == 0)
        {
            return;
        }

        var order = redis.Keys.SsfPendingOrder(streamId);
        var sets = redis.Keys.SsfPendingSets(streamId);
        await redis.ExecuteDurableAsync(async (touched, ct) =>
        {
            touched.Add(order);

            // Scores continue after the highest pending one; NX keeps an event already pending where it is.
            var last = await redis.Db.SortedSetRangeByRankWithScoresAsync(order, -1, -1);
            var next = last.Length == 0 ? 0 : last[0].Score + 1;
            var transaction = redis.Db.CreateTransaction();
            _ = transaction.SortedSetAddAsync(order, [.. events.Select((e, i) => new SortedSetEntry(e.Jti, next + i))], SortedSetWhen.NotExists);
            _ = transaction.HashSetAsync(sets, [.. events.Select(e => new HashEntry(e.Jti, e.Set))]);
            return await transaction.ExecuteAsync();
        }, cancellationToken);
    }

    public async ValueTask<long> CountPendingAsync(string streamId, CancellationToken cancellationToken)
    {
        var order = redis.Keys.SsfPendingOrder(streamId);
        return await redis.ExecuteAsync(async ct => await redis.Db.SortedSetLengthAsync(order), cancellationToken);
    }

    public async ValueTask<IReadOnlyList<SsfPendingEvent>> ReadPendingAsync(string streamId, int count, CancellationToken cancellationToken)
    {
        if (count <= 0)
        {
            return [];
        }

        var order = redis.Keys.SsfPendingOrder(streamId);
        var sets = redis.Keys.SsfPendingSets(streamId);
        return await redis.ExecuteAsync(async ct =>
        {
            var jtis = await redis.Db.SortedSetRangeByRankAsync(order, 0, count - 1);
            if (jtis.Length == 0)
            {
                return (IReadOnlyList<SsfPendingEvent>)[];
            }

            var values = await redis.Db.HashGetAsync(sets, jtis);
            return [.. jtis.Zip(values).Where(p => !p.Second.IsNull).Select(p => new SsfPendingEvent((string)p.First!, (string)p.Second!))];
        }, cancellationToken);
    }

    public async ValueTask<int> AcknowledgeAsync(string streamId, IReadOnlyCollection<string> jtis, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(jtis);
        if (jtis.Count == 0)
        {
            return 0;
        }

        RedisValue[] members = [.. jtis.Select(j => (RedisValue)j)];
        var order = redis.Keys.SsfPendingOrder(streamId);
        var sets = redis.Keys.SsfPendingSets(streamId);
        return await redis.ExecuteAsync(async ct =>
        {
            var transaction = redis.Db.CreateTransaction();
            var removed = transaction.SortedSetRemoveAsync(order, members);
            _ = transaction.HashDeleteAsync(sets, members);
            await transaction.ExecuteAsync();
            return (int)await removed;
        }, cancellationToken);
    }

    public async ValueTask<string?> GetFeedCursorAsync(CancellationToken cancellationToken) =>
        (string?)await redis.ExecuteAsync(async ct => await redis.Db.StringGetAsync(redis.Keys.SsfFeedCursor), cancellationToken);

    public ValueTask SaveFeedCursorAsync(string feedId, CancellationToken cancellationToken) =>
        Ignore(redis.ExecuteDurableAsync(async (touched, ct) =>
        {
            touched.Add(redis.Keys.SsfFeedCursor);
            return await redis.Db.StringSetAsync(redis.Keys.SsfFeedCursor, feedId);
        }, cancellationToken));

    private static async ValueTask Ignore<T>(ValueTask<T> operation) => await operation;
}
