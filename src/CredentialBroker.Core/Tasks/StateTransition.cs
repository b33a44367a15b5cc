using CredentialBroker.Abstractions.Storage;
using CredentialBroker.Abstractions.Tasks;

namespace CredentialBroker.Core.Tasks;

/// <summary>The outcome of <see cref="TaskService.ChangeStateAsync"/>.</summary>
/// <param name="Outcome">What happened.</param>
/// <param name="Task">The task after the change (absent when not found or illegal).</param>
/// <param name="PreviousState">The state before the call, or the state that made the move illegal.</param>
/// <param name="Revoked">How many credentials the change revoked.</param>
public sealed record StateTransition(StateChangeOutcome Outcome, TaskView? Task, TaskState PreviousState, int Revoked);
