namespace CredentialBroker.Server.Tasks;

/// <summary>The body of <c>POST /v1/tasks</c> (API.md).</summary>
internal sealed class CreateTaskRequest
{
    public string? Agent { get; set; }

    public WorkflowDto? Workflow { get; set; }

    public List<AuthorizationDto>? Authorization { get; set; }

    public int? TtlSeconds { get; set; }

    public ApprovalDto? Approval { get; set; }

    public OriginDto? Origin { get; set; }

    public int? MaxDelegationDepth { get; set; }

    public List<string>? MayAct { get; set; }

    public BindingDto? Binding { get; set; }
}

/// <summary>The agent's key a task token is bound to: exactly one member.</summary>
internal sealed class BindingDto
{
    public string? Jkt { get; set; }

    [System.Text.Json.Serialization.JsonPropertyName("x5t#S256")]
    public string? X5tS256 { get; set; }
}

internal sealed class WorkflowDto
{
    public string? Id { get; set; }

    public string? Designer { get; set; }

    public string? Version { get; set; }
}

internal sealed class AuthorizationDto
{
    public string? Tool { get; set; }

    public string? Destination { get; set; }

    public List<string>? Actions { get; set; }

    public string? DataClass { get; set; }
}

internal sealed class ApprovalDto
{
    public string? Id { get; set; }

    public string? Approver { get; set; }

    public DateTimeOffset? ApprovedAt { get; set; }
}

internal sealed class OriginDto
{
    public string? PromptId { get; set; }

    public string? PromptSha256 { get; set; }

    public string? RequestedBy { get; set; }
}

/// <summary>The body of <c>POST /v1/tasks/{taskId}/continuation</c>.</summary>
internal sealed class ContinuationRequest
{
    public long? ExtendSeconds { get; set; }

    public string? Reason { get; set; }
}

/// <summary>The body of <c>POST /v1/tasks/{taskId}/state</c>.</summary>
internal sealed class ChangeStateRequest
{
    public string? State { get; set; }

    public string? Reason { get; set; }
}
