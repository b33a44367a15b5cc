namespace CredentialBroker.Server.Revocation;

/// <summary>The body of <c>POST /v1/tasks/{taskId}/credentials/{jti}/resolve</c>.</summary>
internal sealed class ResolveRequest
{
    public string? Note { get; set; }
}
