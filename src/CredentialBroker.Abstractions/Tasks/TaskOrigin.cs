namespace CredentialBroker.Abstractions.Tasks;

/// <summary>Where a task came from: the prompt (id and SHA-256) and who asked.</summary>
public sealed record TaskOrigin(string? PromptId, string? PromptSha256, string? RequestedBy);
