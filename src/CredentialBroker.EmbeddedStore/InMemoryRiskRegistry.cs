using System.Collections.Concurrent;
using CredentialBroker.Abstractions.Policy;

namespace CredentialBroker.EmbeddedStore;

/// <summary>The embedded risk registry for development mode: in process memory, gone on restart.</summary>
public sealed class InMemoryRiskRegistry : IRiskRegistry
{
    private readonly ConcurrentDictionary<(RiskSubjectKind, string), RiskEntry> _entries = new();

    /// <inheritdoc />
    public ValueTask<RiskFacts> GetAsync(IReadOnlyList<string> workloads, string workflow, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(workloads);
        var levels = new Dictionary<string, RiskLevel>(StringComparer.Ordinal);
        foreach (var workload in workloads)
        {
            levels[workload] = _entries.TryGetValue((RiskSubjectKind.Workload, workload), out var entry) ? entry.Level : RiskLevel.None;
        }

        var workflowLevel = _entries.TryGetValue((RiskSubjectKind.Workflow, workflow), out var w) ? w.Level : RiskLevel.None;
        return ValueTask.FromResult(new RiskFacts(levels, workflowLevel));
    }

    /// <inheritdoc />
    public ValueTask SetAsync(RiskEntry entry, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        if (entry.Level == RiskLevel.None)
        {
            _entries.TryRemove((entry.Kind, entry.Id), out _);
        }
        else
        {
            _entries[(entry.Kind, entry.Id)] = entry;
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<RiskEntry>> ListAsync(CancellationToken cancellationToken) =>
        ValueTask.FromResult<IReadOnlyList<RiskEntry>>([.. _entries.Values.OrderBy(e => e.Kind).ThenBy(e => e.Id, StringComparer.Ordinal)]);
}
