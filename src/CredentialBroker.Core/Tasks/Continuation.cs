using CredentialBroker.Abstractions.Policy;
using CredentialBroker.Abstractions.Storage;
using CredentialBroker.Abstractions.Tasks;

namespace CredentialBroker.Core.Tasks;

/// <summary>What a continuation request came to.</summary>
/// <param name="Outcome">The outcome.</param>
/// <param name="Task">The task (continued, when it was).</param>
/// <param name="TaskToken">The fresh task token's record.</param>
/// <param name="Token">The fresh task token.</param>
/// <param name="Decision">The policy decision, when policy was asked.</param>
/// <param name="Detail">Why an invalid request is invalid, or the quarantine's id.</param>
/// <param name="Operator">Who permitted the continuation.</param>
public sealed record Continuation(ContinuationOutcome Outcome, TaskRecord? Task = null, CredentialRecord? TaskToken = null, string? Token = null, PolicyDecision? Decision = null, string? Detail = null, string? Operator = null);
