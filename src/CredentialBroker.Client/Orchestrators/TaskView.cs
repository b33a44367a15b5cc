namespace CredentialBroker.Client.Orchestrators;

/// <summary>A task as the broker records it (<c>GET /v1/tasks/{id}</c>), with its credentials.</summary>
public sealed class TaskView
{
    /// <summary>The task's id.</summary>
    public string TaskId { get; init; } = string.Empty;

    /// <summary>Its state (<see cref="TaskStates"/>).</summary>
    public string State { get; init; } = string.Empty;

    /// <summary>The agent's SPIFFE ID.</summary>
    public string Agent { get; init; } = string.Empty;

    /// <summary>The workflow.</summary>
    public WorkflowReference? Workflow { get; init; }

    /// <summary>Who created it.</summary>
    public string? CreatedBy { get; init; }

    /// <summary>When it was created.</summary>
    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>When it expires.</summary>
    public DateTimeOffset ExpiresAt { get; init; }

    /// <summary>Why it is in its state, if said.</summary>
    public string? StateReason { get; init; }

    /// <summary>Every credential of the task, in issue order: its derivation tree.</summary>
    public IReadOnlyList<TaskCredential> Credentials { get; init; } = [];

    /// <summary>After a state change: how many credentials it revoked.</summary>
    public int? Revoked { get; init; }

    /// <inheritdoc />
    public override string ToString() => $"task {TaskId} ({State}), {Credentials.Count} credential(s)";
}
