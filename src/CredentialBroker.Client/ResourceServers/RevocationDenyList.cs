using System.Collections.Concurrent;

namespace CredentialBroker.Client.ResourceServers;

/// <summary>
/// The revoked <c>jti</c>s a resource server refuses. An entry lives until the token's <c>exp</c> plus clock skew —
/// after that the token is refused for being expired anyway — and is never evicted earlier: there is no size cap
/// (about 100 bytes per entry; the broker's feed carries only revocations of unexpired credentials).
/// </summary>
public sealed class RevocationDenyList
{
    private readonly ConcurrentDictionary<string, DateTimeOffset> _until = new(StringComparer.Ordinal);
    private readonly TimeSpan _skew;

    /// <summary>Creates an empty deny list that keeps entries <paramref name="skew"/> past their token's expiry.</summary>
    public RevocationDenyList(TimeSpan skew) => _skew = skew;

    /// <summary>How many entries it holds.</summary>
    public int Count => _until.Count;

    /// <summary>Refuses <paramref name="jti"/> until <paramref name="expiresAt"/> plus skew (the later time wins if it is added twice).</summary>
    public void Add(string jti, DateTimeOffset expiresAt)
    {
        ArgumentException.ThrowIfNullOrEmpty(jti);
        var until = expiresAt + _skew;
        _until.AddOrUpdate(jti, until, (_, existing) => existing > until ? existing : until);
    }

    /// <summary>Whether <paramref name="jti"/> is refused.</summary>
    public bool Contains(string jti) => _until.ContainsKey(jti);

    /// <summary>Drops entries whose token expired more than the skew before <paramref name="now"/>; returns how many.</summary>
    public int Prune(DateTimeOffset now)
    {
        var dropped = 0;
        foreach (var (jti, until) in _until)
        {
            if (until <= now && _until.TryRemove(new KeyValuePair<string, DateTimeOffset>(jti, until)))
            {
                dropped++;
            }
        }

        return dropped;
    }
}
