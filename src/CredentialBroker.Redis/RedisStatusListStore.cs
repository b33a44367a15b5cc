using System.Globalization;
using CredentialBroker.Abstractions;
using CredentialBroker.Abstractions.Storage;
using StackExchange.Redis;

namespace CredentialBroker.Redis;

/// <summary>
/// The Token Status Lists in Redis: per audit chain (the shard, <c>{t:N}</c>) a counter of allocated entries and, per
/// generation of <see cref="StatusLists.Size"/> entries, a bitmap of revoked tokens in the draft's bit order, written by the
/// scripts that record and revoke credentials (status.lua). Reading a list is two GETs in one slot.
/// </summary>
public sealed class RedisStatusListStore : IStatusListStore
{
    private readonly RedisContext _redis;

    /// <summary>Creates the store over the broker's Redis context.</summary>
    public RedisStatusListStore(RedisContext redis) => _redis = redis;

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<string>> GetListsAsync(CancellationToken cancellationToken) =>
        _redis.ExecuteAsync(async _ =>
        {
            var counters = await Task.WhenAll(Enumerable.Range(0, _redis.Keys.AuditChains).Select(c => _redis.Db.StringGetAsync(_redis.Keys.StatusCounter(c))));
            return (IReadOnlyList<string>)[.. counters.SelectMany((counter, chain) =>
                Enumerable.Range(0, Generations(counter)).Select(g => FormattableString.Invariant($"{chain}-{g}")))];
        }, cancellationToken);

    /// <inheritdoc />
    public ValueTask<byte[]?> GetListAsync(string list, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(list);
        if (!TryParse(list, out var chain, out var generation) || chain >= _redis.Keys.AuditChains)
        {
            return ValueTask.FromResult<byte[]?>(null);
        }

        return _redis.ExecuteAsync(async _ =>
        {
            var counter = _redis.Db.StringGetAsync(_redis.Keys.StatusCounter(chain));
            var bits = _redis.Db.StringGetAsync(_redis.Keys.StatusListPrefix(chain) + list);
            await Task.WhenAll(counter, bits);
            if (generation >= Generations(await counter))
            {
                return null;
            }

            // Redis keeps the bitmap only up to its highest revoked bit: the rest of the list is valid (zero).
            var bytes = new byte[StatusLists.Size / 8];
            var stored = (byte[]?)await bits ?? [];
            stored.AsSpan(0, Math.Min(stored.Length, bytes.Length)).CopyTo(bytes);
            return bytes;
        }, cancellationToken);
    }

    private static int Generations(RedisValue counter) =>
        counter.IsNull ? 0 : (int)((((long)counter) + StatusLists.Size - 1) / StatusLists.Size);

    // A list id is '<chain>-<generation>', both non-negative decimal numbers without signs or leading zeros.
    internal static bool TryParse(string list, out int chain, out int generation)
    {
        chain = generation = 0;
        var dash = list.IndexOf('-', StringComparison.Ordinal);
        return dash > 0
            && Canonical(list.AsSpan(0, dash), out chain)
            && Canonical(list.AsSpan(dash + 1), out generation);
    }

    private static bool Canonical(ReadOnlySpan<char> text, out int value) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value) && (text.Length == 1 || text[0] != '0');
}
