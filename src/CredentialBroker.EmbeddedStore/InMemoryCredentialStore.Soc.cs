using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using CredentialBroker.Abstractions.Soc;

namespace CredentialBroker.EmbeddedStore;

/// <summary>The SOC side of the embedded store. It keeps no indexes: finding a selector's tasks scans every task, which suits development mode only.</summary>
public sealed partial class InMemoryCredentialStore : ISocStore
{
    private readonly ConcurrentDictionary<string, BulkRevocation> _revocations = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, (DateTimeOffset At, string By)> _lifts = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, DateTimeOffset> _revocationSavedAt = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, HashSet<CredentialRef>> _matches = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Incident> _incidents = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, SortedSet<(DateTimeOffset At, string Id)>> _incidentRevocations = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, (string Owner, DateTimeOffset Until)> _leases = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, DateTimeOffset> _remembered = new(StringComparer.Ordinal);

    /// <inheritdoc />
    public async IAsyncEnumerable<string> FindTaskIdsAsync(RevocationSelector selector, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(selector);
        await Task.Yield();
        foreach (var (taskId, entry) in _tasks)
        {
            cancellationToken.ThrowIfCancellationRequested();
            bool candidate;
            lock (entry)
            {
                candidate = selector.DerivedFrom is { } root
                    ? entry.Credentials.Exists(c => c.Jti == root)
                    : entry.Credentials.Exists(c => selector.MatchesIgnoringAncestry(c, entry.Task));
            }

            if (candidate)
            {
                yield return taskId;
            }
        }
    }

    /// <inheritdoc />
    public ValueTask SaveRevocationAsync(BulkRevocation revocation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(revocation);
        _revocations[revocation.Id] = revocation with { QuarantineLiftedAt = null, QuarantineLiftedBy = null };
        _revocationSavedAt[revocation.Id] = _time.GetUtcNow();
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask<BulkRevocation?> LiftQuarantineAsync(string id, DateTimeOffset at, string by, CancellationToken cancellationToken)
    {
        if (!_revocations.ContainsKey(id))
        {
            return ValueTask.FromResult<BulkRevocation?>(null);
        }

        _lifts.TryAdd(id, (at, by));
        return GetRevocationAsync(id, cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask<BulkRevocation?> GetRevocationAsync(string id, CancellationToken cancellationToken) =>
        ValueTask.FromResult(_revocations.TryGetValue(id, out var revocation) ? WithLift(revocation) : null);

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<BulkRevocation>> ListActiveRevocationsAsync(DateTimeOffset since, CancellationToken cancellationToken) =>
        ValueTask.FromResult<IReadOnlyList<BulkRevocation>>(
            [.. _revocations.Values.Select(WithLift).Where(r => r.Status == BulkRevocationStatus.Running || r.Quarantining || r.RequestedAt > since).OrderBy(r => r.RequestedAt)]);

    /// <summary>Forgets revocations a retention after their last save (as Redis expires them), and expired replay memory and leases.</summary>
    private void PruneSoc(DateTimeOffset now)
    {
        foreach (var (id, savedAt) in _revocationSavedAt)
        {
            if (savedAt + _recordRetention <= now)
            {
                _revocationSavedAt.TryRemove(id, out _);
                _revocations.TryRemove(id, out _);
                _lifts.TryRemove(id, out _);
                _matches.TryRemove(id, out _);
            }
        }

        foreach (var (key, until) in _remembered)
        {
            if (until <= now)
            {
                _remembered.TryRemove(key, out _);
            }
        }

        foreach (var (name, lease) in _leases)
        {
            if (lease.Until <= now)
            {
                _leases.TryRemove(name, out _);
            }
        }
    }

    private BulkRevocation WithLift(BulkRevocation revocation) =>
        _lifts.TryGetValue(revocation.Id, out var lift) ? revocation with { QuarantineLiftedAt = lift.At, QuarantineLiftedBy = lift.By } : revocation;

    /// <inheritdoc />
    public ValueTask AddMatchesAsync(string revocationId, IReadOnlyList<CredentialRef> matches, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(matches);
        var set = _matches.GetOrAdd(revocationId, _ => []);
        lock (set)
        {
            set.UnionWith(matches);
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<CredentialRef>> ReadMatchesAsync(string revocationId, CancellationToken cancellationToken)
    {
        if (!_matches.TryGetValue(revocationId, out var set))
        {
            return ValueTask.FromResult<IReadOnlyList<CredentialRef>>([]);
        }

        lock (set)
        {
            return ValueTask.FromResult<IReadOnlyList<CredentialRef>>([.. set]);
        }
    }

    /// <inheritdoc />
    public ValueTask<bool> TryLeaseAsync(string name, string owner, TimeSpan lease, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        var held = _leases.AddOrUpdate(
            name,
            static (_, s) => (s.owner, s.until),
            static (_, existing, s) => existing.Owner == s.owner || existing.Until <= s.now ? (s.owner, s.until) : existing,
            (owner, until: now + lease, now));
        return ValueTask.FromResult(held.Owner == owner);
    }

    /// <inheritdoc />
    public ValueTask SaveIncidentAsync(Incident incident, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(incident);
        _incidents[incident.Id] = incident with { RevocationIds = [] };
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask<bool> LinkRevocationAsync(string incidentId, string revocationId, DateTimeOffset requestedAt, CancellationToken cancellationToken)
    {
        if (!_incidents.ContainsKey(incidentId))
        {
            return ValueTask.FromResult(false);
        }

        var links = _incidentRevocations.GetOrAdd(incidentId, _ => []);
        lock (links)
        {
            links.Add((requestedAt, revocationId));
        }

        return ValueTask.FromResult(true);
    }

    /// <inheritdoc />
    public ValueTask<Incident?> GetIncidentAsync(string id, CancellationToken cancellationToken) =>
        ValueTask.FromResult(_incidents.TryGetValue(id, out var incident) ? WithLinks(incident) : null);

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<Incident>> ListIncidentsAsync(CancellationToken cancellationToken) =>
        ValueTask.FromResult<IReadOnlyList<Incident>>([.. _incidents.Values.Select(WithLinks).OrderByDescending(i => i.DeclaredAt).ThenBy(i => i.Id, StringComparer.Ordinal)]);

    private Incident WithLinks(Incident incident)
    {
        if (!_incidentRevocations.TryGetValue(incident.Id, out var links))
        {
            return incident with { RevocationIds = [] };
        }

        lock (links)
        {
            return incident with { RevocationIds = [.. links.Select(l => l.Id).Distinct(StringComparer.Ordinal)] };
        }
    }

    /// <inheritdoc />
    public ValueTask<bool> RememberOnceAsync(string key, TimeSpan lifetime, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        var first = true;
        _remembered.AddOrUpdate(
            key,
            _ => now + lifetime,
            (_, until) =>
            {
                if (until > now)
                {
                    first = false;
                    return until;
                }

                return now + lifetime;
            });
        return ValueTask.FromResult(first);
    }
}
