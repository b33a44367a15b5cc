using System.Text.Json.Serialization;
using CredentialBroker.Abstractions.Storage;
using CredentialBroker.Abstractions.Tasks;
using CredentialBroker.Core.Tasks;
using CredentialBroker.EmbeddedStore;

namespace CredentialBroker.Server.Tasks;

/// <summary>The answer to <c>POST /v1/tasks</c>.</summary>
internal sealed record CreateTaskResponse(string TaskId, string Token, string Jti, DateTime ExpiresAt, string State);

/// <summary>The answer to <c>POST /v1/tasks/{taskId}/continuation</c>: the fresh task token (the old one is revoked) and who permitted it.</summary>
internal sealed record ContinuationResponse(string TaskId, string Token, string Jti, DateTime ExpiresAt, string State, string ContinuedBy)
{
    public static ContinuationResponse From(Continuation continuation) => new(
        continuation.Task!.TaskId, continuation.Token!, continuation.TaskToken!.Jti, continuation.TaskToken.ExpiresAt.UtcDateTime,
        TaskStateMachine.ToWireName(continuation.Task.State), continuation.Operator!);
}

/// <summary>A task as <c>GET /v1/tasks/{taskId}</c> shows it; <see cref="Revoked"/> only after a state change.</summary>
internal sealed record TaskResponse(
    string TaskId,
    string State,
    string Agent,
    WorkflowResponse Workflow,
    IReadOnlyList<AuthorizationResponse> Authorization,
    ApprovalResponse? Approval,
    OriginResponse? Origin,
    int MaxDelegationDepth,
    IReadOnlyList<string> MayAct,
    string CreatedBy,
    DateTime CreatedAt,
    DateTime ExpiresAt,
    DateTime StateChangedAt,
    string? StateReason,
    IReadOnlyList<CredentialResponse> Credentials,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? Revoked = null)
{
    public static TaskResponse From(TaskView view, DateTimeOffset now, int? revoked = null)
    {
        var task = view.Task;
        return new TaskResponse(
            task.TaskId,
            TaskStateMachine.ToWireName(task.State),
            task.Agent,
            new WorkflowResponse(task.Workflow.Id, task.Workflow.Designer, task.Workflow.Version),
            [.. task.Authorization.Select(g => new AuthorizationResponse(g.Tool, g.Destination, g.Actions, g.DataClass))],
            task.Approval is { } a ? new ApprovalResponse(a.Id, a.Approver, a.ApprovedAt.UtcDateTime) : null,
            task.Origin is { } o ? new OriginResponse(o.PromptId, o.PromptSha256, o.RequestedBy) : null,
            task.MaxDelegationDepth,
            task.MayAct,
            task.CreatedBy,
            task.CreatedAt.UtcDateTime,
            task.ExpiresAt.UtcDateTime,
            task.StateChangedAt.UtcDateTime,
            task.StateReason,
            [.. view.Credentials.Select(c => CredentialResponse.From(c, now))],
            revoked);
    }
}

internal sealed record WorkflowResponse(string Id, string? Designer, string? Version);

internal sealed record AuthorizationResponse(string Tool, string Destination, IReadOnlyList<string> Actions, string? DataClass);

internal sealed record ApprovalResponse(string Id, string Approver, DateTime ApprovedAt);

internal sealed record OriginResponse(string? PromptId, string? PromptSha256, string? RequestedBy);

internal sealed record CredentialResponse(
    string Jti,
    string Kind,
    string? Parent,
    string Holder,
    DateTime IssuedAt,
    DateTime ExpiresAt,
    string Status,
    DateTime? RevokedAt,
    string? RevocationReason,
    string? Audience,
    int Depth,
    PolicyResponse? Policy,
    DateTime? ExpiryProcessedAt,
    DownstreamResponse? Downstream,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] SecretResponse? Secret,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] BindingResponse? Binding)
{
    public static CredentialResponse From(CredentialRecord c, DateTimeOffset now) => new(
        c.Jti,
        CredentialKinds.ToWireName(c.Kind),
        c.ParentJti,
        c.Holder,
        c.IssuedAt.UtcDateTime,
        c.ExpiresAt.UtcDateTime,
        CredentialKinds.ToWireName(c.StatusAt(now)),
        c.RevokedAt?.UtcDateTime,
        c.RevocationReason,
        c.Audience,
        c.Depth,
        c.Policy is null ? null : new PolicyResponse(c.Policy.Rules, c.Policy.Version),
        c.ExpiryProcessedAt?.UtcDateTime,
        c.Downstream is { } d ? new DownstreamResponse(d.RevokedAt?.UtcDateTime, d.VerifiedAt?.UtcDateTime, d.Attempts, d.Irrevocable, d.LastError, d.ResolvedBy) : null,
        c.Secret is { } s ? new SecretResponse(s.Provider, s.ProviderKind, s.Username, s.LeaseId) : null,
        c.Binding is { } b ? BindingResponse.From(b) : null);
}

/// <summary>The key a credential is bound to besides its holder, as its token's <c>cnf</c> names it.</summary>
internal sealed record BindingResponse(
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Jkt,
    [property: JsonPropertyName("x5t#S256"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? X5tS256)
{
    public static BindingResponse From(KeyBinding binding) =>
        binding.Kind == KeyBindingKind.Jkt ? new(binding.Thumbprint, null) : new(null, binding.Thumbprint);
}

/// <summary>What the record of a downstream secret holds (never its password): the provider, its kind, the login or lease.</summary>
internal sealed record SecretResponse(string Provider, string Kind, string? Username, string? LeaseId);

/// <summary>How far a revoked or expired credential's invalidation has got beyond the broker's record.</summary>
internal sealed record DownstreamResponse(DateTime? RevokedAt, DateTime? VerifiedAt, int Attempts, bool Irrevocable, string? LastError, string? ResolvedBy);

internal sealed record PolicyResponse(string Rules, string Version);
