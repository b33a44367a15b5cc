namespace CredentialBroker.Client.Audit;

/// <summary>Who is accountable for a credential: every party whose decision made it possible.</summary>
public sealed class AccountableParties
{
    /// <summary>The designer of the task's workflow.</summary>
    public string? WorkflowDesigner { get; init; }

    /// <summary>Who approved the task's initial authority.</summary>
    public string? Approver { get; init; }

    /// <summary>Who asked for the task (the origin's requester).</summary>
    public string? RequestedBy { get; init; }

    /// <summary>The orchestrator that created the task.</summary>
    public string? Orchestrator { get; init; }

    /// <summary>The agent the task was issued to.</summary>
    public string? Agent { get; init; }

    /// <summary>Every delegate on the way to the credential (the holders of delegated tokens), in order.</summary>
    public IReadOnlyList<string> Actors { get; init; } = [];

    /// <summary>Every operator who permitted the task to continue past its deadline.</summary>
    public IReadOnlyList<string> ContinuationOperators { get; init; } = [];
}
