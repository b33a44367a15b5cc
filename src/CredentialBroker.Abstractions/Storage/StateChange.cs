using CredentialBroker.Abstractions.Tasks;

namespace CredentialBroker.Abstractions.Storage;

/// <summary>The outcome of <see cref="ICredentialStore.ChangeStateAsync"/>.</summary>
/// <param name="Outcome">What happened.</param>
/// <param name="PreviousState">The state before the call (for <see cref="StateChangeOutcome.Illegal"/>, the state that forbade it).</param>
/// <param name="Revoked">How many credentials the change revoked.</param>
public sealed record StateChange(StateChangeOutcome Outcome, TaskState PreviousState, int Revoked)
{
    /// <summary>The credential the change recorded, as stored (a continuation's fresh task token, with its status list entry).</summary>
    public CredentialRecord? Recorded { get; init; }
}
