namespace CredentialBroker.Abstractions;

/// <summary>
/// The attributes of the broker's spans (<see cref="BrokerTelemetry"/>), an operational contract. Values are ids,
/// SPIFFE IDs, resources, counts and outcomes: never a token, proof, password or other secret.
/// </summary>
public static class BrokerTelemetryTags
{
    /// <summary>The task's id.</summary>
    public const string TaskId = "credentialbroker.task.id";

    /// <summary>The <c>jti</c> of the credential the span issued, revoked or processed.</summary>
    public const string Jti = "credentialbroker.jti";

    /// <summary>An exchange's subject token's <c>jti</c>, once the token is verified.</summary>
    public const string SubjectJti = "credentialbroker.subject.jti";

    /// <summary>The credential's kind: <c>task</c>, <c>delegated</c>, <c>access_token</c> or <c>secret</c>.</summary>
    public const string CredentialKind = "credentialbroker.credential.kind";

    /// <summary>The authenticated caller's SPIFFE ID.</summary>
    public const string Caller = "credentialbroker.caller";

    /// <summary>The SPIFFE ID of the task's agent.</summary>
    public const string Agent = "credentialbroker.agent";

    /// <summary>A delegation's sub-agent, once verified.</summary>
    public const string Actor = "credentialbroker.actor";

    /// <summary>The resource (audience) of an access token or downstream secret.</summary>
    public const string Resource = "credentialbroker.resource";

    /// <summary>How the span's work ended: per span, documented in docs/operations.md.</summary>
    public const string Outcome = "credentialbroker.outcome";

    /// <summary>Why a credential was revoked (the feed's <c>reason</c>).</summary>
    public const string RevocationReason = "credentialbroker.revocation.reason";

    /// <summary>How many credentials the span newly revoked.</summary>
    public const string Revoked = "credentialbroker.revoked";

    /// <summary>The state a task was asked to move to.</summary>
    public const string TaskState = "credentialbroker.task.state";

    /// <summary>The task's state before the change (or the state that made it illegal).</summary>
    public const string PreviousTaskState = "credentialbroker.task.previous_state";

    /// <summary>The downstream provider (its configured name) that issues or revokes the secret.</summary>
    public const string Provider = "credentialbroker.downstream.provider";

    /// <summary>How many downstream attempts the revoker made.</summary>
    public const string Attempts = "credentialbroker.downstream.attempts";

    /// <summary>A SOC bulk revocation's id.</summary>
    public const string BulkRevocationId = "credentialbroker.bulk_revocation.id";

    /// <summary>The incident a bulk revocation belongs to.</summary>
    public const string IncidentId = "credentialbroker.incident.id";

    /// <summary>How many credentials a bulk revocation matched.</summary>
    public const string Matched = "credentialbroker.matched";

    /// <summary>The type of the exception that ended the span (OpenTelemetry's <c>error.type</c>).</summary>
    public const string ErrorType = "error.type";
}
