namespace CredentialBroker.Abstractions.Policy;

/// <summary>Risk levels looked up for one decision.</summary>
/// <param name="Workloads">Level per requested workload SPIFFE ID.</param>
/// <param name="Workflow">The workflow's level.</param>
public sealed record RiskFacts(IReadOnlyDictionary<string, RiskLevel> Workloads, RiskLevel Workflow)
{
    /// <summary>The level of <paramref name="workload"/>, <see cref="RiskLevel.None"/> when unset.</summary>
    public RiskLevel Of(string? workload) => workload is not null && Workloads.TryGetValue(workload, out var level) ? level : RiskLevel.None;
}
