using CredentialBroker.Abstractions;
using CredentialBroker.Abstractions.Policy;

namespace CredentialBroker.Redis;

/// <summary>
/// The risk levels every decision reads, from an in-process snapshot of the Redis hash instead of a round trip per
/// request (issuance and exchange are on every agent's critical path). The snapshot is loaded before the first
/// decision, reloaded by every replica on the SOC rules cadence (<c>Soc:RuleRefreshInterval</c>, 250 ms), and a level
/// this replica sets applies to its own decisions at once. Listing reads Redis itself.
/// </summary>
public sealed class CachedRiskRegistry : IRiskRegistry, ISnapshot
{
    private readonly RedisRiskRegistry _redis;
    private readonly RefreshedMap<(RiskSubjectKind, string), RiskLevel> _levels = new();

    /// <summary>Wraps the Redis registry.</summary>
    public CachedRiskRegistry(RedisRiskRegistry redis) => _redis = redis;

    /// <inheritdoc />
    public async ValueTask<RiskFacts> GetAsync(IReadOnlyList<string> workloads, string workflow, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(workloads);
        var levels = _levels.Current ?? await LoadAsync(cancellationToken);
        var byWorkload = new Dictionary<string, RiskLevel>(StringComparer.Ordinal);
        foreach (var workload in workloads)
        {
            byWorkload[workload] = levels.GetValueOrDefault((RiskSubjectKind.Workload, workload));
        }

        return new RiskFacts(byWorkload, levels.GetValueOrDefault((RiskSubjectKind.Workflow, workflow)));
    }

    /// <inheritdoc />
    public async ValueTask SetAsync(RiskEntry entry, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        await _redis.SetAsync(entry, cancellationToken);
        _levels.Write((entry.Kind, entry.Id), entry.Level);
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<RiskEntry>> ListAsync(CancellationToken cancellationToken) => _redis.ListAsync(cancellationToken);

    /// <summary>Reloads the snapshot from Redis, keeping levels this replica set after the read began.</summary>
    public async ValueTask RefreshAsync(CancellationToken cancellationToken) => await LoadAsync(cancellationToken);

    private async ValueTask<IReadOnlyDictionary<(RiskSubjectKind, string), RiskLevel>> LoadAsync(CancellationToken cancellationToken)
    {
        var version = _levels.BeginRead();
        var entries = await _redis.ListAsync(cancellationToken);
        return _levels.Replace(entries.Select(e => KeyValuePair.Create((e.Kind, e.Id), e.Level)), version);
    }
}
