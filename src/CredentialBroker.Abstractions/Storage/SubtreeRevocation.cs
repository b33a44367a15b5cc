namespace CredentialBroker.Abstractions.Storage;

/// <summary>One subtree to revoke, with others in one call (<see cref="ICredentialStore.RevokeSubtreesAsync"/>).</summary>
/// <param name="TaskId">The task.</param>
/// <param name="Jti">The root credential of the subtree.</param>
/// <param name="At">When it is revoked.</param>
/// <param name="Reason">The root's reason (descendants get <see cref="RevocationReasons.Cascade"/>).</param>
/// <param name="Audit">The root's <c>revocation.recorded</c> event, appended in the same atomic step when the root exists.</param>
public sealed record SubtreeRevocation(string TaskId, string Jti, DateTimeOffset At, string Reason, Audit.AuditEvent Audit);
