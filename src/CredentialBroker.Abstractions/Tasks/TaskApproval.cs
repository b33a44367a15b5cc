namespace CredentialBroker.Abstractions.Tasks;

/// <summary>The human approval behind a task.</summary>
public sealed record TaskApproval(string Id, string Approver, DateTimeOffset ApprovedAt);
