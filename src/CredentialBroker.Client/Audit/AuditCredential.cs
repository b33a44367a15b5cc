using System.Text.Json.Serialization;

namespace CredentialBroker.Client.Audit;

/// <summary>A credential as the trace describes it: what it is, who holds it, for what, and what became of it.</summary>
public sealed class AuditCredential
{
    /// <summary>Its id.</summary>
    public string Jti { get; init; } = string.Empty;

    /// <summary><c>task</c>, <c>delegated</c>, <c>access_token</c> or <c>secret</c>.</summary>
    public string Kind { get; init; } = string.Empty;

    /// <summary>The credential it was exchanged from (none for a task token).</summary>
    public string? ParentJti { get; init; }

    /// <summary>The workload it is bound to (a SPIFFE ID).</summary>
    public string? Holder { get; init; }

    /// <summary>The resource it is for (an access token's audience, a secret's resource).</summary>
    public string? Resource { get; init; }

    /// <summary>How many delegations lie between it and the task token.</summary>
    public int Depth { get; init; }

    /// <summary>When it was issued.</summary>
    [JsonConverter(typeof(UnixTimeConverter))]
    public DateTimeOffset IssuedAt { get; init; }

    /// <summary>When it expires.</summary>
    [JsonConverter(typeof(UnixTimeConverter))]
    public DateTimeOffset ExpiresAt { get; init; }

    /// <summary>The key it is bound to, if any: <c>jkt</c> (DPoP) or <c>x5t#S256</c> (mutual TLS) → thumbprint.</summary>
    public IReadOnlyDictionary<string, string>? Binding { get; init; }

    /// <summary>For a downstream secret: its provider, kind and login (never its password).</summary>
    public AuditSecret? Secret { get; init; }

    /// <summary>The policy decision that allowed it.</summary>
    public AuditPolicyDecision? Decision { get; init; }

    /// <summary><c>active</c>, <c>revoked</c> or <c>expired</c>.</summary>
    public string Status { get; init; } = string.Empty;

    /// <summary>When it was revoked, if it was.</summary>
    [JsonConverter(typeof(UnixTimeConverter))]
    public DateTimeOffset? RevokedAt { get; init; }

    /// <summary>Why it was revoked.</summary>
    public string? RevocationReason { get; init; }

    /// <inheritdoc />
    public override string ToString() => $"{Kind} {Jti} held by {Holder} ({Status})";
}
