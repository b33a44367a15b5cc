using CredentialBroker.Abstractions.Policy;
using CredentialBroker.EmbeddedStore;

namespace CredentialBroker.Server.Policy;

/// <summary>The body of <c>PUT /v1/risk/...</c>.</summary>
internal sealed class SetRiskRequest
{
    public string? Level { get; set; }

    public string? Reason { get; set; }
}

/// <summary>A risk level as the API shows it.</summary>
internal sealed record RiskResponse(string Kind, string Id, string Level, string? Reason, string SetBy, DateTime SetAt)
{
    public static RiskResponse From(RiskEntry entry) => new(
        entry.Kind == RiskSubjectKind.Workload ? "workload" : "workflow",
        entry.Id,
        RiskLevels.ToWireName(entry.Level),
        entry.Reason,
        entry.SetBy,
        entry.SetAt.UtcDateTime);
}

/// <summary>The answer of <c>GET /v1/policy</c>.</summary>
internal sealed record PolicyStatusResponse(
    string Version,
    string Source,
    IReadOnlyList<string> Rules,
    IReadOnlyDictionary<string, string> DataClasses,
    IReadOnlyList<string> LastReloadErrors);
