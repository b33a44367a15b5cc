namespace CredentialBroker.Client.Orchestrators;

/// <summary>
/// The states of a task: <c>created</c> → <c>running</c> ⇄ <c>paused</c> / <c>awaiting_approval</c>; any non-terminal
/// state → <c>completed</c>, <c>failed</c>, <c>cancelled</c> (terminal: every credential of the task is revoked).
/// </summary>
public static class TaskStates
{
    /// <summary>Created, not yet running.</summary>
    public const string Created = "created";

    /// <summary>Running.</summary>
    public const string Running = "running";

    /// <summary>Paused: by default its access tokens and secrets are revoked, the task token kept.</summary>
    public const string Paused = "paused";

    /// <summary>Waiting for an approval: revokes like <see cref="Paused"/>.</summary>
    public const string AwaitingApproval = "awaiting_approval";

    /// <summary>Done (terminal).</summary>
    public const string Completed = "completed";

    /// <summary>Failed (terminal).</summary>
    public const string Failed = "failed";

    /// <summary>Cancelled (terminal).</summary>
    public const string Cancelled = "cancelled";
}
