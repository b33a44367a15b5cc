namespace CredentialBroker.Client.Orchestrators;

/// <summary>Who approved a task, and when.</summary>
public sealed record TaskApproval
{
    /// <summary>The approval's id, e.g. a change ticket.</summary>
    public required string Id { get; init; }

    /// <summary>Who approved.</summary>
    public required string Approver { get; init; }

    /// <summary>When.</summary>
    public required DateTimeOffset ApprovedAt { get; init; }
}
