using CredentialBroker.Core.Policy;

namespace CredentialBroker.Redis;

/// <summary>
/// The risk levels every decision reads, from an in-process snapshot of the Redis hash instead of a round trip per
/// request (issuance and exchange are on every agent's critical path). The snapshot is loaded before the first
/// decision, reloaded by every replica on the SOC rules cadence (<c>Soc:RuleRefreshInterval</c>, 250 ms), and a level
/// this replica sets applies to its own decisions at once. Listing reads Redis itself.
/// </summary>
public sealed class CachedRiskRegistry : IRiskRegistry
{
    private readonly RedisRiskRegistry _redis;
    private readonly Lock _gate = new();
    private readonly Dictionary<(RiskSubjectKind, string), (RiskLevel Level, long Version)> _local = [];
    private IReadOnlyDictionary<(RiskSubjectKind, string), RiskLevel>? _snapshot;
    private long _version;

    /// <summary>Wraps the Redis registry.</summary>
    public CachedRiskRegistry(RedisRiskRegistry redis) => _redis = redis;

    /// <inheritdoc />
    public async ValueTask<RiskFacts> GetAsync(IReadOnlyList<string> workloads, string workflow, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(workloads);
        var snapshot = _snapshot ?? await LoadAsync(cancellationToken);
        var levels = new Dictionary<string, RiskLevel>(StringComparer.Ordinal);
        foreach (var workload in workloads)
        {
            levels[workload] = snapshot.GetValueOrDefault((RiskSubjectKind.Workload, workload));
        }

        return new RiskFacts(levels, snapshot.GetValueOrDefault((RiskSubjectKind.Workflow, workflow)));
    }

    /// <inheritdoc />
    public async ValueTask SetAsync(RiskEntry entry, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        await _redis.SetAsync(entry, cancellationToken);
        lock (_gate)
        {
            var key = (entry.Kind, entry.Id);
            _local[key] = (entry.Level, ++_version);
            if (_snapshot is not null)
            {
                _snapshot = new Dictionary<(RiskSubjectKind, string), RiskLevel>(_snapshot) { [key] = entry.Level };
            }
        }
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<RiskEntry>> ListAsync(CancellationToken cancellationToken) => _redis.ListAsync(cancellationToken);

    /// <summary>Reloads the snapshot from Redis, keeping levels this replica set after the read began.</summary>
    public async ValueTask RefreshAsync(CancellationToken cancellationToken) => await LoadAsync(cancellationToken);

    private async ValueTask<IReadOnlyDictionary<(RiskSubjectKind, string), RiskLevel>> LoadAsync(CancellationToken cancellationToken)
    {
        long readVersion;
        lock (_gate)
        {
            readVersion = ++_version;
        }

        var entries = await _redis.ListAsync(cancellationToken);
        lock (_gate)
        {
            var snapshot = entries.ToDictionary(e => (e.Kind, e.Id), e => e.Level);
            foreach (var (key, local) in _local.ToList())
            {
                if (local.Version > readVersion)
                {
                    snapshot[key] = local.Level;
                }
                else
                {
                    _local.Remove(key);
                }
            }

            _snapshot = snapshot;
            return snapshot;
        }
    }
}
