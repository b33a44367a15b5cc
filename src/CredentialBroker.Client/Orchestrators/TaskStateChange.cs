namespace CredentialBroker.Client.Orchestrators;

/// <summary>The body of <c>POST /v1/tasks/{id}/state</c>.</summary>
internal sealed record TaskStateChange(string State, string? Reason);
