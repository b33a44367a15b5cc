namespace CredentialBroker.Client.Audit;

/// <summary>A decision on the way to a credential, as its boundary-log event recorded it.</summary>
public sealed class AuditDecision
{
    /// <summary>The event's position in its chain.</summary>
    public long Event { get; init; }

    /// <summary>The chain the event belongs to.</summary>
    public int Chain { get; init; }

    /// <summary>The event type, e.g. <c>task.created</c>, <c>credential.issued</c>, <c>exchange.denied</c>, <c>task.continued</c>.</summary>
    public string Type { get; init; } = string.Empty;

    /// <summary>When (RFC 3339).</summary>
    public string? Time { get; init; }

    /// <summary>Who acted.</summary>
    public string? Actor { get; init; }

    /// <summary>The credential it concerns.</summary>
    public string? Jti { get; init; }

    /// <summary>The deciding policy rule.</summary>
    public string? Rule { get; init; }

    /// <summary>The hash of the policy version in force.</summary>
    public string? PolicyVersion { get; init; }

    /// <summary>Whether it was allowed.</summary>
    public bool Allowed { get; init; }

    /// <summary>Why, when recorded.</summary>
    public string? Reason { get; init; }
}
