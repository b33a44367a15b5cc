namespace CredentialBroker.Client.Audit;

/// <summary>The policy decision recorded with a credential: allowed or not, by which rule of which policy version, and why.</summary>
public sealed class AuditPolicyDecision
{
    /// <summary>Whether the policy allowed it.</summary>
    public bool Allowed { get; init; }

    /// <summary>The deciding rule (or rules).</summary>
    public string? Rule { get; init; }

    /// <summary>The hash of the policy version in force.</summary>
    public string? PolicyVersion { get; init; }

    /// <summary>Why, when the policy said.</summary>
    public string? Reason { get; init; }
}
