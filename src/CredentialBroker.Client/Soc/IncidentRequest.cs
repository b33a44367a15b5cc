namespace CredentialBroker.Client.Soc;

/// <summary>An incident to declare (<c>POST /v1/incidents</c>).</summary>
public sealed record IncidentRequest
{
    /// <summary>Its title (1–200 characters).</summary>
    public required string Title { get; init; }

    /// <summary><c>low</c>, <c>medium</c>, <c>high</c> or <c>critical</c>.</summary>
    public required string Severity { get; init; }

    /// <summary>When the SOC learnt of it: the exposure window starts here. Not in the future.</summary>
    public required DateTimeOffset NotifiedAt { get; init; }

    /// <summary>What it concerns.</summary>
    public required RevocationSelector Selector { get; init; }

    /// <summary>Start a bulk revocation of the selector at once.</summary>
    public bool Revoke { get; init; }
}
