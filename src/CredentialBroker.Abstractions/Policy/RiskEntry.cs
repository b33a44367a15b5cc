namespace CredentialBroker.Abstractions.Policy;

/// <summary>A risk level set by the SOC.</summary>
/// <param name="Kind">Workload or workflow.</param>
/// <param name="Id">The SPIFFE ID or workflow id.</param>
/// <param name="Level">The level.</param>
/// <param name="Reason">Why, as the SOC wrote it.</param>
/// <param name="SetBy">Who set it (SPIFFE ID).</param>
/// <param name="SetAt">When.</param>
public sealed record RiskEntry(RiskSubjectKind Kind, string Id, RiskLevel Level, string? Reason, string SetBy, DateTimeOffset SetAt);
