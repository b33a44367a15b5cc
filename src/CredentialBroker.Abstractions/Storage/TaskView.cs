using CredentialBroker.Abstractions.Tasks;

namespace CredentialBroker.Abstractions.Storage;

/// <summary>A task with every credential issued under it, oldest first.</summary>
public sealed record TaskView(TaskRecord Task, IReadOnlyList<CredentialRecord> Credentials)
{
    /// <summary>
    /// How many continuations the task has had when it was read. A continuation names the count it read
    /// (<see cref="ICredentialStore.ContinueTaskAsync"/>), so one that another continuation overtook changes nothing, even
    /// when the other moved the deadline back to where it was.
    /// </summary>
    public long Continuations { get; init; }
}
