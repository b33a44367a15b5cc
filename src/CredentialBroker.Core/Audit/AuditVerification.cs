namespace CredentialBroker.Core.Audit;

/// <summary>What verifying the boundary log found.</summary>
/// <param name="Verified">Whether every chain recomputes from its anchor to its head and every checkpoint verifies and agrees.</param>
/// <param name="Events">How many events were checked.</param>
/// <param name="FirstBadEvent">The position of the first event out of place, when one is.</param>
/// <param name="Chain">The chain it is in.</param>
/// <param name="Reason"><c>altered</c>, <c>missing</c> or <c>reordered</c>, when not verified.</param>
/// <param name="Detail">What exactly does not hold, for people.</param>
/// <param name="Checkpoints">How many checkpoints were checked.</param>
public sealed record AuditVerification(bool Verified, long Events, long? FirstBadEvent = null, int? Chain = null, string? Reason = null, string? Detail = null, int Checkpoints = 0);
