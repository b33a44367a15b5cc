namespace CredentialBroker.Client.Audit;

/// <summary>
/// The accountability chain of one credential (<c>GET /v1/audit/trace</c>): the credential, its ancestors up to the task
/// token, the task with its origin, workflow and approval, who is accountable, each policy decision on the way, the
/// revocation history, and whether the events it rests on verify.
/// </summary>
public sealed class AuditTrace
{
    /// <summary>The credential traced.</summary>
    public AuditCredential Credential { get; init; } = new();

    /// <summary>The credentials it derives from: the task token first, its parent last (empty for a task token).</summary>
    public IReadOnlyList<AuditCredential> Ancestors { get; init; } = [];

    /// <summary>The task it was issued under.</summary>
    public AuditTask Task { get; init; } = new();

    /// <summary>Everyone accountable for it.</summary>
    public AccountableParties Accountable { get; init; } = new();

    /// <summary>The policy decisions on the way (task creation, exchanges allowed and denied, continuations), in log order.</summary>
    public IReadOnlyList<AuditDecision> Decisions { get; init; } = [];

    /// <summary>The revocation history of the chain (recorded, delivered downstream, verified; state changes), in log order.</summary>
    public IReadOnlyList<AuditRevocation> Revocations { get; init; } = [];

    /// <summary>How many boundary-log events of the task the trace rests on.</summary>
    public int Events { get; init; }

    /// <summary>Whether every one of those events hashes to what it says (and there is at least one).</summary>
    public bool Verified { get; init; }

    /// <summary>The chain from the task token down to the credential itself.</summary>
    public IEnumerable<AuditCredential> Chain => Ancestors.Append(Credential);

    /// <inheritdoc />
    public override string ToString() =>
        $"trace of {Credential.Kind} {Credential.Jti}: task {Task.TaskId}, {Ancestors.Count} ancestor(s), {Decisions.Count} decision(s), {Revocations.Count} revocation event(s), {(Verified ? "verified" : "NOT verified")}";
}
