namespace CredentialBroker.Client.Soc;

/// <summary>A bulk revocation (<c>POST /v1/revocations</c>).</summary>
public sealed record RevocationRequest
{
    /// <summary>What to revoke.</summary>
    public required RevocationSelector Selector { get; init; }

    /// <summary>Why (1–500 characters; required unless <see cref="DryRun"/>).</summary>
    public string? Reason { get; init; }

    /// <summary>The incident it answers, if any.</summary>
    public string? IncidentId { get; init; }

    /// <summary>Only count what would be revoked.</summary>
    public bool DryRun { get; init; }

    /// <summary>Also give the selected workloads no new authority until lifted (needs <see cref="RevocationSelector.Workload"/>).</summary>
    public bool Quarantine { get; init; }
}
