using CredentialBroker.Abstractions.Tasks;

namespace CredentialBroker.Abstractions.Storage;

/// <summary>The outcome of <see cref="ICredentialStore.ChangeStateAsync"/>.</summary>
/// <param name="Outcome">What happened.</param>
/// <param name="PreviousState">The state before the call (for <see cref="StateChangeOutcome.Illegal"/>, the state that forbade it).</param>
/// <param name="Revoked">How many credentials the change revoked.</param>
public sealed record StateChange(StateChangeOutcome Outcome, TaskState PreviousState, int Revoked);
