using CredentialBroker.Abstractions.Soc;

namespace CredentialBroker.Soc;

/// <summary>A SOC request to revoke in bulk, as <see cref="BulkRevocationService.RequestAsync"/> judges it.</summary>
/// <param name="Selector">Which credentials (absent: a problem).</param>
/// <param name="Reason">Why: on the feed, in the audit trail and in reports (1 to 500 characters).</param>
/// <param name="IncidentId">The incident it belongs to, which must exist, if any.</param>
/// <param name="Quarantine">Whether the selected workloads get no new authority until lifted (needs <see cref="RevocationSelector.Workload"/>).</param>
public sealed record BulkRevocationRequest(RevocationSelector? Selector, string? Reason, string? IncidentId, bool Quarantine);
