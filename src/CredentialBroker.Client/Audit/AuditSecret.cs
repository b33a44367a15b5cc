namespace CredentialBroker.Client.Audit;

/// <summary>A downstream secret as the boundary log records it: never its password.</summary>
public sealed class AuditSecret
{
    /// <summary>The provider's name in the broker's configuration.</summary>
    public string? Provider { get; init; }

    /// <summary>The provider's kind: <c>postgresql</c>, <c>redis</c> or <c>vault</c>.</summary>
    public string? Kind { get; init; }

    /// <summary>The login it created.</summary>
    public string? Username { get; init; }
}
