namespace CredentialBroker.Client.Orchestrators;

/// <summary>Where a task came from: the prompt and who asked.</summary>
public sealed record TaskOrigin
{
    /// <summary>The prompt's id.</summary>
    public string? PromptId { get; init; }

    /// <summary>The prompt's SHA-256, 64 lowercase hex digits.</summary>
    public string? PromptSha256 { get; init; }

    /// <summary>Who asked, e.g. <c>user:bob@corp.example</c>.</summary>
    public string? RequestedBy { get; init; }
}
