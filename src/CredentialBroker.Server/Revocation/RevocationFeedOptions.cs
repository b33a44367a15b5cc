namespace CredentialBroker.Server.Revocation;

/// <summary>The revocation feed endpoint, bound from <c>CredentialBroker:Feed</c>.</summary>
public sealed class RevocationFeedOptions
{
    /// <summary>The configuration section these options bind from.</summary>
    public const string SectionName = "CredentialBroker:Feed";

    /// <summary>How often an idle feed stream polls the store for entries other replicas appended. Default 200 ms.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>How often a feed stream sends a heartbeat, so a follower can tell it is up to date. Default 5 s.</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long feed entries are kept. Must exceed the longest credential lifetime plus clock skew, so no
    /// revocation of a still-valid credential is ever trimmed. Default 30 min (twice the default 15 min maximum TTL).
    /// </summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromMinutes(30);
}
