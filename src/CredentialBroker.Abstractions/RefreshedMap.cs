namespace CredentialBroker.Abstractions;

/// <summary>
/// A map that a background job reloads from the store while this process also writes to it. A write applies at
/// once, and a reload that began before the write cannot undo it: each write is stamped with a version, and
/// <see cref="Replace"/> keeps the writes newer than the read it is given. Used for what every request reads
/// and no request may wait for: the SOC's revocations in force and its risk levels.
/// </summary>
/// <typeparam name="TKey">The key.</typeparam>
/// <typeparam name="TValue">The value.</typeparam>
public sealed class RefreshedMap<TKey, TValue>
    where TKey : notnull
{
    private readonly Lock _gate = new();
    private readonly IEqualityComparer<TKey>? _comparer;
    private readonly Dictionary<TKey, (TValue Value, long Version)> _written;
    private IReadOnlyDictionary<TKey, TValue>? _current;
    private long _version;

    /// <summary>Creates an empty, never loaded map.</summary>
    public RefreshedMap(IEqualityComparer<TKey>? comparer = null)
    {
        _comparer = comparer;
        _written = new(comparer);
    }

    /// <summary>The map as of the last reload and the writes since, or <see langword="null"/> before the first reload.</summary>
    public IReadOnlyDictionary<TKey, TValue>? Current => _current;

    /// <summary>A version to pass to <see cref="Replace"/> for a store read that starts now.</summary>
    public long BeginRead()
    {
        lock (_gate)
        {
            return ++_version;
        }
    }

    /// <summary>Replaces the map with what a store read begun at <paramref name="readVersion"/> returned, keeping later writes.</summary>
    public IReadOnlyDictionary<TKey, TValue> Replace(IEnumerable<KeyValuePair<TKey, TValue>> stored, long readVersion)
    {
        ArgumentNullException.ThrowIfNull(stored);
        lock (_gate)
        {
            var map = new Dictionary<TKey, TValue>(stored, _comparer);
            foreach (var (key, written) in _written.ToList())
            {
                if (written.Version > readVersion)
                {
                    map[key] = written.Value;
                }
                else
                {
                    _written.Remove(key);
                }
            }

            _current = map;
            return map;
        }
    }

    /// <summary>Applies a value this process just stored.</summary>
    public void Write(TKey key, TValue value)
    {
        lock (_gate)
        {
            _written[key] = (value, ++_version);
            if (_current is not null)
            {
                _current = new Dictionary<TKey, TValue>(_current, _comparer) { [key] = value };
            }
        }
    }
}
