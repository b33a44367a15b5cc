namespace CredentialBroker.Abstractions.Policy;

/// <summary>
/// Current risk levels per workload and workflow: facts the broker holds and policies decide on. Agents
/// cannot influence them; only the SOC sets them. Like the credential store, a registry that cannot
/// answer throws <see cref="Storage.StoreUnavailableException"/>, and the broker fails closed.
/// </summary>
public interface IRiskRegistry
{
    /// <summary>The levels of <paramref name="workloads"/> and <paramref name="workflow"/>; anything unset is <see cref="RiskLevel.None"/>.</summary>
    ValueTask<RiskFacts> GetAsync(IReadOnlyList<string> workloads, string workflow, CancellationToken cancellationToken);

    /// <summary>Sets (or, with <see cref="RiskLevel.None"/>, clears) a level.</summary>
    ValueTask SetAsync(RiskEntry entry, CancellationToken cancellationToken);

    /// <summary>Every level currently set.</summary>
    ValueTask<IReadOnlyList<RiskEntry>> ListAsync(CancellationToken cancellationToken);
}
