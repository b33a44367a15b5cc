using System.Diagnostics.CodeAnalysis;

namespace CredentialBroker.Abstractions.Tasks;

/// <summary>
/// The legal task transitions: <c>created → running ⇄ paused / awaiting_approval</c>, and any non-terminal
/// state → <c>completed</c>, <c>failed</c> or <c>cancelled</c>, which are terminal. Asking for the state a
/// task is already in is not a transition: it changes nothing and revokes nothing, so retries are harmless.
/// </summary>
public static class TaskStateMachine
{
    private static readonly TaskState[] NonTerminal = [TaskState.Created, TaskState.Running, TaskState.Paused, TaskState.AwaitingApproval];

    /// <summary>Whether <paramref name="state"/> ends the task.</summary>
    public static bool IsTerminal(TaskState state) => state is TaskState.Completed or TaskState.Failed or TaskState.Cancelled;

    /// <summary>The states from which a task may move to <paramref name="target"/>.</summary>
    public static IReadOnlyList<TaskState> SourcesOf(TaskState target) => target switch
    {
        TaskState.Created => [],
        // A task awaiting approval resumes only through an operator's recorded continuation (ContinuationService).
        TaskState.Running => [TaskState.Created, TaskState.Paused],
        TaskState.Paused or TaskState.AwaitingApproval => [TaskState.Running],
        _ => NonTerminal,
    };

    /// <summary>Whether a task in <paramref name="from"/> may move to <paramref name="to"/>.</summary>
    public static bool CanTransition(TaskState from, TaskState to) => SourcesOf(to).Contains(from);

    /// <summary>The wire name of a state (<c>awaiting_approval</c>).</summary>
    public static string ToWireName(TaskState state) => state switch
    {
        TaskState.Created => "created",
        TaskState.Running => "running",
        TaskState.Paused => "paused",
        TaskState.AwaitingApproval => "awaiting_approval",
        TaskState.Completed => "completed",
        TaskState.Failed => "failed",
        TaskState.Cancelled => "cancelled",
        _ => throw new ArgumentOutOfRangeException(nameof(state)),
    };

    /// <summary>Parses a wire name; exact and case-sensitive.</summary>
    public static bool TryParseWireName([NotNullWhen(true)] string? name, out TaskState state) => WireNames.TryParse(name, ToWireName, out state);
}
