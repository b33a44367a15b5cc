namespace CredentialBroker.Core.Issuance;

/// <summary>What a task issuance did.</summary>
public enum TaskIssuanceOutcome
{
    /// <summary>A new task was recorded and its token signed.</summary>
    Issued,

    /// <summary>The draft breaks a task rule (<see cref="TaskRules"/>): nothing was issued.</summary>
    Invalid,

    /// <summary>The <c>Idempotency-Key</c> was seen with the same request: the recorded task is returned again.</summary>
    Replayed,

    /// <summary>The <c>Idempotency-Key</c> was seen with a different request: nothing was issued.</summary>
    IdempotencyKeyReused,

    /// <summary>
    /// The <c>Idempotency-Key</c> was seen with the same request, but the task it created has ended or its token is no
    /// longer active: nothing is returned but the task's id (a retry never gets a dead token).
    /// </summary>
    IdempotentTaskEnded,

    /// <summary>Policy denied a grant (or its TTL): nothing was issued.</summary>
    PolicyDenied,

    /// <summary>The SOC quarantined the agent: nothing was issued.</summary>
    Quarantined,
}
