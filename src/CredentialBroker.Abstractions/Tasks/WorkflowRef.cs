namespace CredentialBroker.Abstractions.Tasks;

/// <summary>The workflow a task belongs to: its id, who designed it, and which version runs.</summary>
public sealed record WorkflowRef(string Id, string? Designer, string? Version);
