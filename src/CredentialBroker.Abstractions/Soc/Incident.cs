namespace CredentialBroker.Abstractions.Soc;

/// <summary>A SOC incident: what happened, when the SOC learned of it, and which credentials it concerns.</summary>
/// <param name="Id">The broker-assigned id (<c>inc_…</c>).</param>
/// <param name="Title">A short description.</param>
/// <param name="Severity"><c>low</c>, <c>medium</c>, <c>high</c> or <c>critical</c>.</param>
/// <param name="NotifiedAt">When the SOC was notified: the start of every exposure window.</param>
/// <param name="DeclaredAt">When the incident was declared at the broker.</param>
/// <param name="DeclaredBy">The SPIFFE ID that declared it.</param>
/// <param name="Selector">The credentials concerned.</param>
/// <param name="RevocationIds">The bulk revocations started for it (with it, or later naming it), oldest first.</param>
public sealed record Incident(
    string Id,
    string Title,
    string Severity,
    DateTimeOffset NotifiedAt,
    DateTimeOffset DeclaredAt,
    string DeclaredBy,
    RevocationSelector Selector,
    IReadOnlyList<string> RevocationIds)
{
    /// <summary>The first bulk revocation started for it, if any.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public string? RevocationId => RevocationIds.Count > 0 ? RevocationIds[0] : null;

    /// <summary>The severities an incident may have.</summary>
    public static IReadOnlyList<string> Severities { get; } = ["low", "medium", "high", "critical"];
}
