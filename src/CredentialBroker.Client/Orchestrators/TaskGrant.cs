namespace CredentialBroker.Client.Orchestrators;

/// <summary>One grant of a task: a tool, the destination it may reach, the actions it may take there, and the data class.</summary>
public sealed record TaskGrant
{
    /// <summary>The tool, e.g. <c>sql.query</c>.</summary>
    public required string Tool { get; init; }

    /// <summary>The destination, an unambiguous absolute URI, e.g. <c>postgres://payments</c>: what access tokens and secrets are for.</summary>
    public required string Destination { get; init; }

    /// <summary>The actions, e.g. <c>read</c>.</summary>
    public required IReadOnlyList<string> Actions { get; init; }

    /// <summary>The data class, e.g. <c>confidential</c> (it must match the class registered for the destination, if any).</summary>
    public string? DataClass { get; init; }
}
