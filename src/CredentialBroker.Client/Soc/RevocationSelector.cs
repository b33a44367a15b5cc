namespace CredentialBroker.Client.Soc;

/// <summary>
/// Which credentials a bulk revocation or an incident reaches: members combine with AND, at least one is required, and
/// every live credential derived from a match is reached too.
/// </summary>
public sealed record RevocationSelector
{
    /// <summary>A holder's SPIFFE ID, or a path prefix ending in <c>/</c>.</summary>
    public string? Workload { get; init; }

    /// <summary>A workflow's id.</summary>
    public string? WorkflowId { get; init; }

    /// <summary>A task's id.</summary>
    public string? TaskId { get; init; }

    /// <summary>An approval's id.</summary>
    public string? ApprovalId { get; init; }

    /// <summary>An approver.</summary>
    public string? Approver { get; init; }

    /// <summary>An access token's audience or a secret's resource.</summary>
    public string? Resource { get; init; }

    /// <summary>A credential and everything derived from it.</summary>
    public string? DerivedFrom { get; init; }

    /// <summary>Issued at or after.</summary>
    public DateTimeOffset? IssuedAfter { get; init; }

    /// <summary>Issued before.</summary>
    public DateTimeOffset? IssuedBefore { get; init; }
}
