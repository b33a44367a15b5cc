namespace CredentialBroker.Abstractions.Storage;

/// <summary>What a state change did.</summary>
public enum StateChangeOutcome
{
    /// <summary>The task moved to the new state.</summary>
    Changed,

    /// <summary>The task was already in that state; nothing changed.</summary>
    Unchanged,

    /// <summary>The current state does not allow the move; nothing changed.</summary>
    Illegal,

    /// <summary>There is no such task.</summary>
    NotFound,
}
