namespace CredentialBroker.Client.Orchestrators;

/// <summary>A created task and its task token, bound to the agent.</summary>
public sealed class IssuedTask
{
    /// <summary>The task's id, <c>tsk_…</c>.</summary>
    public string TaskId { get; init; } = string.Empty;

    /// <summary>The task token (<c>task+jwt</c>): give it to the agent only. Never log it.</summary>
    public string Token { get; init; } = string.Empty;

    /// <summary>The task token's credential id.</summary>
    public string Jti { get; init; } = string.Empty;

    /// <summary>When the task and its token expire.</summary>
    public DateTimeOffset ExpiresAt { get; init; }

    /// <summary>The task's state: <c>created</c>.</summary>
    public string State { get; init; } = string.Empty;

    /// <inheritdoc />
    public override string ToString() => $"task {TaskId} ({State}), task token {Jti}, expires {ExpiresAt:O}";
}
