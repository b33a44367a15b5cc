using CredentialBroker.Abstractions.Tasks;

namespace CredentialBroker.Abstractions.Storage;

/// <summary>A state change for <see cref="ICredentialStore.ChangeStateAsync"/>.</summary>
/// <param name="TaskId">The task.</param>
/// <param name="Target">The state to move to.</param>
/// <param name="AllowedSources">The states the move is legal from (see <see cref="TaskStateMachine.SourcesOf"/>).</param>
/// <param name="At">When the change happens.</param>
/// <param name="Reason">The reason the caller gave, if any.</param>
/// <param name="RevokeKinds">Credential kinds to revoke in the same step.</param>
/// <param name="RevocationReason">The reason recorded on revoked credentials.</param>
/// <param name="Audit">The event appended when the change happens.</param>
public sealed record StateChangeRequest(
    string TaskId,
    TaskState Target,
    IReadOnlyList<TaskState> AllowedSources,
    DateTimeOffset At,
    string? Reason,
    IReadOnlyCollection<CredentialKind> RevokeKinds,
    string RevocationReason,
    Audit.AuditEvent Audit);
