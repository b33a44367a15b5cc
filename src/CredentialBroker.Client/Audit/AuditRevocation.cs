namespace CredentialBroker.Client.Audit;

/// <summary>A revocation event in a credential's history: recorded, delivered downstream, verified, or a state change that revoked.</summary>
public sealed class AuditRevocation
{
    /// <summary>The event's position in its chain.</summary>
    public long Event { get; init; }

    /// <summary>The chain the event belongs to.</summary>
    public int Chain { get; init; }

    /// <summary>The event type, e.g. <c>revocation.recorded</c>.</summary>
    public string Type { get; init; } = string.Empty;

    /// <summary>When (RFC 3339).</summary>
    public string? Time { get; init; }

    /// <summary>Who acted.</summary>
    public string? Actor { get; init; }

    /// <summary>The credential it concerns.</summary>
    public string? Jti { get; init; }

    /// <summary>Why.</summary>
    public string? Reason { get; init; }

    /// <summary>For a state change, the state the task went to.</summary>
    public string? To { get; init; }

    /// <summary>For a SOC bulk revocation, its id.</summary>
    public string? RevocationId { get; init; }
}
