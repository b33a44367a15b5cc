namespace CredentialBroker.Abstractions.Tasks;

/// <summary>Where a task is in its life. Wire names are snake_case (<c>awaiting_approval</c>).</summary>
public enum TaskState
{
    /// <summary>Created; the task token is issued.</summary>
    Created,

    /// <summary>The agent is working.</summary>
    Running,

    /// <summary>Paused by the orchestrator.</summary>
    Paused,

    /// <summary>Waiting for a human approval.</summary>
    AwaitingApproval,

    /// <summary>Finished successfully (terminal).</summary>
    Completed,

    /// <summary>Finished unsuccessfully (terminal).</summary>
    Failed,

    /// <summary>Stopped before finishing (terminal).</summary>
    Cancelled,
}
