namespace CredentialBroker.Abstractions.Audit;

/// <summary>The boundary log's event types: an operational contract (SIEM rules match on them).</summary>
public static class AuditEventTypes
{
    /// <summary>A task was created and its task token recorded.</summary>
    public const string TaskCreated = "task.created";

    /// <summary>An orchestrator's task request was refused (policy, quarantine).</summary>
    public const string TaskDenied = "task.denied";

    /// <summary>A token exchange was allowed and its credential recorded (access token, delegated token, downstream secret).</summary>
    public const string CredentialIssued = "credential.issued";

    /// <summary>A token exchange was refused by policy, quarantine or a rule of the exchange.</summary>
    public const string ExchangeDenied = "exchange.denied";

    /// <summary>A downstream secret was created in its backend (after its record and <see cref="CredentialIssued"/>).</summary>
    public const string SecretIssued = "secret.issued";

    /// <summary>A task changed state.</summary>
    public const string StateChanged = "task.state_changed";

    /// <summary>An operator permitted a task to continue past its deadline.</summary>
    public const string Continuation = "task.continued";

    /// <summary>A credential and its subtree were revoked (holder, bulk, failed issue).</summary>
    public const string RevocationRecorded = "revocation.recorded";

    /// <summary>A SOC bulk revocation was requested.</summary>
    public const string RevocationRequested = "revocation.requested";

    /// <summary>A downstream secret's revocation reached its backend.</summary>
    public const string RevocationDelivered = "revocation.delivered";

    /// <summary>A probe proved a revoked downstream secret no longer works.</summary>
    public const string RevocationVerified = "revocation.verified";

    /// <summary>An incident was declared.</summary>
    public const string IncidentDeclared = "incident.declared";

    /// <summary>A quarantine (a bulk revocation that also refuses new credentials) was lifted.</summary>
    public const string QuarantineLifted = "quarantine.lifted";

    /// <summary>A Shared Signals event was accepted.</summary>
    public const string SsfAccepted = "ssf.accepted";

    /// <summary>A Shared Signals event was refused.</summary>
    public const string SsfRefused = "ssf.refused";

    /// <summary>A Shared Signals event stream the broker transmits to was created, changed, enabled, paused or deleted.</summary>
    public const string SsfStreamChanged = "ssf.stream_changed";

    /// <summary>A new policy version came into force.</summary>
    public const string PolicyReloaded = "policy.reloaded";
}
