namespace CredentialBroker.Client.Orchestrators;

/// <summary>One credential of a task, as <c>GET /v1/tasks/{id}</c> lists it (never token material).</summary>
public sealed class TaskCredential
{
    /// <summary>Its id.</summary>
    public string Jti { get; init; } = string.Empty;

    /// <summary><c>task</c>, <c>delegated</c>, <c>access_token</c> or <c>secret</c>.</summary>
    public string Kind { get; init; } = string.Empty;

    /// <summary>The credential it was derived from.</summary>
    public string? Parent { get; init; }

    /// <summary>The workload it is bound to.</summary>
    public string? Holder { get; init; }

    /// <summary>An access token's audience, or a secret's resource.</summary>
    public string? Audience { get; init; }

    /// <summary>When it was issued.</summary>
    public DateTimeOffset IssuedAt { get; init; }

    /// <summary>When it expires.</summary>
    public DateTimeOffset ExpiresAt { get; init; }

    /// <summary><c>active</c>, <c>revoked</c> or <c>expired</c>.</summary>
    public string Status { get; init; } = string.Empty;

    /// <summary>When it was revoked.</summary>
    public DateTimeOffset? RevokedAt { get; init; }

    /// <summary>Why: <c>task_completed</c>, <c>task_state</c>, <c>ttl_expired</c>, <c>bulk</c>, <c>holder</c> or <c>cascade</c>.</summary>
    public string? RevocationReason { get; init; }

    /// <inheritdoc />
    public override string ToString() => $"{Kind} {Jti} held by {Holder}: {Status}";
}
