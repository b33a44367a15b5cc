namespace CredentialBroker.Client.Orchestrators;

/// <summary>The workflow a task belongs to: who designed it, which version.</summary>
public sealed record WorkflowReference
{
    /// <summary>The workflow's id. Required.</summary>
    public required string Id { get; init; }

    /// <summary>Who designed it (accountable in the audit trace).</summary>
    public string? Designer { get; init; }

    /// <summary>Its version.</summary>
    public string? Version { get; init; }
}
