namespace CredentialBroker.Abstractions.Policy;

/// <summary>Where a policy decision is made. Wire names: <c>create_task</c>, <c>exchange</c>, <c>delegate</c>, <c>continue</c>.</summary>
public enum PolicyOperation
{
    /// <summary>An orchestrator creates a task (one decision per grant).</summary>
    CreateTask,

    /// <summary>An agent exchanges a task token for a downstream access token.</summary>
    Exchange,

    /// <summary>An agent delegates its task token to a sub-agent.</summary>
    Delegate,

    /// <summary>An operator lets a task continue past its deadline (one decision per grant; the lifetime is the extension).</summary>
    Continue,
}
