namespace CredentialBroker.Client.Operators;

/// <summary>The body of <c>POST /v1/tasks/{id}/continuation</c>.</summary>
internal sealed record ContinuationRequest(long ExtendSeconds, string Reason);
