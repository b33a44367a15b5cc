namespace CredentialBroker.Client.Soc;

/// <summary>A declared incident.</summary>
public sealed class Incident
{
    /// <summary>Its id, <c>inc_…</c>.</summary>
    public string Id { get; init; } = string.Empty;

    /// <summary>Its title.</summary>
    public string Title { get; init; } = string.Empty;

    /// <summary>Its severity.</summary>
    public string Severity { get; init; } = string.Empty;

    /// <summary>When the SOC learnt of it.</summary>
    public DateTimeOffset NotifiedAt { get; init; }

    /// <summary>When it was declared.</summary>
    public DateTimeOffset DeclaredAt { get; init; }

    /// <summary>Who declared it.</summary>
    public string? DeclaredBy { get; init; }

    /// <summary>What it concerns.</summary>
    public RevocationSelector Selector { get; init; } = new();

    /// <summary>The first linked bulk revocation, if any.</summary>
    public string? RevocationId { get; init; }

    /// <summary>Every linked bulk revocation, oldest first.</summary>
    public IReadOnlyList<string> RevocationIds { get; init; } = [];

    /// <inheritdoc />
    public override string ToString() => $"incident {Id} ({Severity}): {Title}";
}
