using System.Text.Json.Serialization;
using CredentialBroker.Client.Orchestrators;

namespace CredentialBroker.Client.Audit;

/// <summary>The task a traced credential was issued under: who created it, for which agent, under which authority.</summary>
public sealed class AuditTask
{
    /// <summary>Its id, <c>tsk_…</c>.</summary>
    public string TaskId { get; init; } = string.Empty;

    /// <summary>Its state (<see cref="TaskStates"/>).</summary>
    public string State { get; init; } = string.Empty;

    /// <summary>The agent's SPIFFE ID.</summary>
    public string Agent { get; init; } = string.Empty;

    /// <summary>The orchestrator that created it.</summary>
    public string Orchestrator { get; init; } = string.Empty;

    /// <summary>When it was created.</summary>
    [JsonConverter(typeof(UnixTimeConverter))]
    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>When it expires (later after a continuation).</summary>
    [JsonConverter(typeof(UnixTimeConverter))]
    public DateTimeOffset ExpiresAt { get; init; }

    /// <summary>Its workflow: id, designer, version.</summary>
    public WorkflowReference? Workflow { get; init; }

    /// <summary>The approval of its initial authority, if any.</summary>
    public AuditApproval? Approval { get; init; }

    /// <summary>Where it came from: the prompt and who asked.</summary>
    public TaskOrigin? Origin { get; init; }
}
