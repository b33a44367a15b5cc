using System.Text.Json.Serialization;

namespace CredentialBroker.Client.Orchestrators;

/// <summary>A task to create for an agent (<c>POST /v1/tasks</c>); docs/api.md states every rule.</summary>
public sealed record TaskRequest
{
    /// <summary>The agent's SPIFFE ID: the task token is bound to it.</summary>
    public required string Agent { get; init; }

    /// <summary>The workflow the task belongs to.</summary>
    public required WorkflowReference Workflow { get; init; }

    /// <summary>What the agent may do: 1 to 64 grants.</summary>
    public required IReadOnlyList<TaskGrant> Authorization { get; init; }

    /// <summary>How long the task lives (whole seconds, within the broker's <c>MinTaskTtl</c>..<c>MaxTaskTtl</c>).</summary>
    [JsonPropertyName("ttlSeconds")]
    [JsonConverter(typeof(SecondsConverter))]
    public required TimeSpan Ttl { get; init; }

    /// <summary>Who approved the task, if anyone.</summary>
    public TaskApproval? Approval { get; init; }

    /// <summary>Where the task came from: the prompt and who asked.</summary>
    public TaskOrigin? Origin { get; init; }

    /// <summary>How deep the agent may delegate (0, the default: not at all).</summary>
    public int? MaxDelegationDepth { get; init; }

    /// <summary>SPIFFE ID patterns (exact, or a prefix ending in <c>/</c>) of the workloads the task may be delegated to.</summary>
    public IReadOnlyList<string>? MayAct { get; init; }
}
