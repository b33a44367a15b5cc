namespace CredentialBroker.Core.Tasks;

/// <summary>How a continuation request ended.</summary>
public enum ContinuationOutcome
{
    /// <summary>The task continues with a fresh task token.</summary>
    Continued,

    /// <summary>The request is malformed (the extension is out of range).</summary>
    Invalid,

    /// <summary>There is no such task.</summary>
    NotFound,

    /// <summary>The task has ended; it cannot continue.</summary>
    Ended,

    /// <summary>The task's agent or orchestrator is quarantined.</summary>
    Quarantined,

    /// <summary>Policy does not allow the continuation (or not for that long).</summary>
    PolicyDenied,

    /// <summary>Another continuation of the task came first (its deadline moved since it was read); nothing changed.</summary>
    Superseded,
}
