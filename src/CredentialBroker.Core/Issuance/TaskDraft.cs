using CredentialBroker.Abstractions.Storage;
using CredentialBroker.Abstractions.Tasks;
using CredentialBroker.Core.Tasks;

namespace CredentialBroker.Core.Issuance;

/// <summary>A validated request for a new task.</summary>
/// <param name="Agent">The agent the task token is bound to.</param>
/// <param name="Workflow">The workflow.</param>
/// <param name="Authorization">What the task may do (at least one grant).</param>
/// <param name="Ttl">How long the task and its token live; within the configured bounds.</param>
/// <param name="Approval">The approval, if any.</param>
/// <param name="Origin">The prompt and requester, if given.</param>
/// <param name="MaxDelegationDepth">How deep delegation may go.</param>
/// <param name="MayAct">SPIFFE ID patterns of the workloads the task may be delegated to; empty means none (no delegation).</param>
/// <param name="Binding">The agent's key the task token is bound to besides its SPIFFE ID, if any: every use then needs proof of it.</param>
public sealed record TaskDraft(
    string Agent,
    WorkflowRef Workflow,
    IReadOnlyList<AuthorizationGrant> Authorization,
    TimeSpan Ttl,
    TaskApproval? Approval,
    TaskOrigin? Origin,
    int MaxDelegationDepth,
    IReadOnlyList<string> MayAct,
    KeyBinding? Binding = null);
