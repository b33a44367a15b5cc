namespace CredentialBroker.Client.Audit;

/// <summary>A chain's last event when a checkpoint was taken.</summary>
public sealed class ChainHead
{
    /// <summary>The event's position.</summary>
    public long Seq { get; init; }

    /// <summary>The event's hash.</summary>
    public string Hash { get; init; } = string.Empty;
}
