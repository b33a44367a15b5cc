using CredentialBroker.Abstractions.Identity;
using CredentialBroker.Abstractions.Tasks;

namespace CredentialBroker.Abstractions.Policy;

/// <summary>Everything a policy decides on: who asks, about which task, for what, and the facts the broker holds.</summary>
/// <param name="Operation">The decision point.</param>
/// <param name="Caller">The authenticated caller.</param>
/// <param name="Task">The task (for task creation: the task about to be created).</param>
/// <param name="Request">The grant being decided.</param>
/// <param name="Risk">Current risk levels of the workloads and workflow involved.</param>
/// <param name="Now">The decision time.</param>
public sealed record PolicyInput(PolicyOperation Operation, CallerIdentity Caller, TaskRecord Task, PolicyGrantRequest Request, RiskFacts Risk, DateTimeOffset Now);
