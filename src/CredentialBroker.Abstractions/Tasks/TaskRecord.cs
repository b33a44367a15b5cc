namespace CredentialBroker.Abstractions.Tasks;

/// <summary>A task as the store keeps it.</summary>
/// <param name="TaskId">The broker-assigned id (<c>tsk_…</c>).</param>
/// <param name="Agent">The SPIFFE ID of the agent the task is bound to.</param>
/// <param name="Workflow">The workflow the task runs in.</param>
/// <param name="Authorization">What the task may do.</param>
/// <param name="Approval">The approval behind it, if any.</param>
/// <param name="Origin">The prompt and requester behind it, if given.</param>
/// <param name="MaxDelegationDepth">How deep the task's delegation chain may grow.</param>
/// <param name="MayAct">SPIFFE ID patterns of the workloads the task may be delegated to; empty means none: delegation is denied.</param>
/// <param name="CreatedBy">The SPIFFE ID of the orchestrator that created it.</param>
/// <param name="CreatedAt">When it was created.</param>
/// <param name="ExpiresAt">Its deadline: no credential of the task outlives it.</param>
/// <param name="State">Its current state.</param>
/// <param name="StateChangedAt">When the state last changed.</param>
/// <param name="StateReason">The reason given with the last state change.</param>
public sealed record TaskRecord(
    string TaskId,
    string Agent,
    WorkflowRef Workflow,
    IReadOnlyList<AuthorizationGrant> Authorization,
    TaskApproval? Approval,
    TaskOrigin? Origin,
    int MaxDelegationDepth,
    IReadOnlyList<string> MayAct,
    string CreatedBy,
    DateTimeOffset CreatedAt,
    DateTimeOffset ExpiresAt,
    TaskState State,
    DateTimeOffset StateChangedAt,
    string? StateReason);
