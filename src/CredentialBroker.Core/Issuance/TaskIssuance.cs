using CredentialBroker.Abstractions;
using CredentialBroker.Abstractions.Policy;
using CredentialBroker.Abstractions.Storage;
using CredentialBroker.Abstractions.Tasks;
using CredentialBroker.Core.Tasks;

namespace CredentialBroker.Core.Issuance;

/// <summary>The outcome of <see cref="TaskIssuanceService.IssueAsync"/>.</summary>
/// <param name="Outcome">What happened.</param>
/// <param name="Task">The task (absent on <see cref="TaskIssuanceOutcome.IdempotencyKeyReused"/>).</param>
/// <param name="Credential">Its task token record.</param>
/// <param name="Token">The signed task token.</param>
/// <param name="Decision">The policy decision, when it denied the task.</param>
/// <param name="QuarantinedBy">The bulk revocation that quarantines the agent, when that refused the task.</param>
/// <param name="Errors">The broken task rules, when the draft was invalid.</param>
public sealed record TaskIssuance(TaskIssuanceOutcome Outcome, TaskRecord? Task = null, CredentialRecord? Credential = null, string? Token = null, PolicyDecision? Decision = null, string? QuarantinedBy = null, FieldErrors? Errors = null);
