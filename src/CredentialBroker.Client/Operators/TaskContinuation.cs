namespace CredentialBroker.Client.Operators;

/// <summary>A task permitted to continue: its fresh task token (the old one is revoked) and who permitted it.</summary>
public sealed class TaskContinuation
{
    /// <summary>The task's id.</summary>
    public string TaskId { get; init; } = string.Empty;

    /// <summary>The fresh task token, bound to the agent: hand it to the agent only. Never log it.</summary>
    public string Token { get; init; } = string.Empty;

    /// <summary>The fresh task token's credential id.</summary>
    public string Jti { get; init; } = string.Empty;

    /// <summary>The task's new deadline.</summary>
    public DateTimeOffset ExpiresAt { get; init; }

    /// <summary>The task's state.</summary>
    public string State { get; init; } = string.Empty;

    /// <summary>The operator who permitted it.</summary>
    public string ContinuedBy { get; init; } = string.Empty;

    /// <inheritdoc />
    public override string ToString() => $"task {TaskId} ({State}) continued by {ContinuedBy} until {ExpiresAt:O}, task token {Jti}";
}
