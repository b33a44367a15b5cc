namespace CredentialBroker.Policy.Testing;

/// <summary>A policy test file (<c>*_test.yaml</c>): cases of input → expected decision, like <c>opa test</c>.</summary>
internal sealed class PolicyTestDocument
{
    public List<PolicyTestCaseDocument>? Cases { get; set; }
}

/// <summary>One case. Everything but <see cref="Expect"/> has a default, so a case states only what it is about.</summary>
internal sealed class PolicyTestCaseDocument
{
    public string? Name { get; set; }

    public string? Operation { get; set; }

    public CallerDocument? Caller { get; set; }

    public TaskDocument? Task { get; set; }

    public RequestDocument? Request { get; set; }

    public RiskDocument? Risk { get; set; }

    public DateTimeOffset? Now { get; set; }

    /// <summary><c>allow</c> or <c>deny</c>.</summary>
    public string? Expect { get; set; }

    /// <summary>The rule expected to decide, if the case cares.</summary>
    public string? Rule { get; set; }

    /// <summary>The TTL limit expected, if the case cares.</summary>
    public int? MaxTtlSeconds { get; set; }
}

internal sealed class CallerDocument
{
    public string? Id { get; set; }

    public List<string>? Roles { get; set; }
}

internal sealed class TaskDocument
{
    public string? Id { get; set; }

    public string? Agent { get; set; }

    public WorkflowDocument? Workflow { get; set; }

    public ApprovalDocument? Approval { get; set; }

    public OriginDocument? Origin { get; set; }

    public int? MaxDelegationDepth { get; set; }

    public List<string>? MayAct { get; set; }

    public string? CreatedBy { get; set; }

    public string? State { get; set; }
}

internal sealed class WorkflowDocument
{
    public string? Id { get; set; }

    public string? Designer { get; set; }

    public string? Version { get; set; }
}

internal sealed class ApprovalDocument
{
    public string? Id { get; set; }

    public string? Approver { get; set; }

    public DateTimeOffset? ApprovedAt { get; set; }
}

internal sealed class OriginDocument
{
    public string? PromptId { get; set; }

    public string? PromptSha256 { get; set; }

    public string? RequestedBy { get; set; }
}

internal sealed class RequestDocument
{
    public string? Tool { get; set; }

    public string? Destination { get; set; }

    public List<string>? Actions { get; set; }

    public string? DataClass { get; set; }

    public int? TtlSeconds { get; set; }

    public string? Audience { get; set; }

    public string? Actor { get; set; }

    public int? Depth { get; set; }
}

internal sealed class RiskDocument
{
    public Dictionary<string, string>? Workloads { get; set; }

    public string? Workflow { get; set; }
}
