namespace CredentialBroker.Abstractions.Storage;

/// <summary>Why a credential was revoked; the values appear on the revocation feed and in reports.</summary>
public static class RevocationReasons
{
    /// <summary>Its task completed.</summary>
    public const string TaskCompleted = "task_completed";

    /// <summary>Its task changed state (failed, cancelled, paused, …).</summary>
    public const string TaskState = "task_state";

    /// <summary>It reached its TTL.</summary>
    public const string TtlExpired = "ttl_expired";

    /// <summary>A SOC bulk revocation matched it.</summary>
    public const string Bulk = "bulk";

    /// <summary>Its holder, orchestrator or the SOC revoked it (RFC 7009).</summary>
    public const string Holder = "holder";

    /// <summary>An ancestor in its delegation chain was revoked.</summary>
    public const string Cascade = "cascade";

    /// <summary>A downstream secret whose issue failed, or never finished (its issuer crashed or timed out): whatever the backend holds is removed.</summary>
    public const string IssueIncomplete = "issue_incomplete";
}
