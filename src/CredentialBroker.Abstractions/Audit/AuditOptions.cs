namespace CredentialBroker.Abstractions.Audit;

/// <summary>Settings of the boundary log, bound from <c>CredentialBroker:Audit</c> (<see cref="CredentialBrokerOptions.Audit"/>).</summary>
public sealed class AuditOptions
{
    /// <summary>
    /// How often the broker signs a checkpoint of the chains' heads, when events were appended since the last one.
    /// Default 1 minute; 1 second to 1 day.
    /// </summary>
    public TimeSpan CheckpointInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// A checkpoint is also signed as soon as this many events were appended since the last one (checked every second).
    /// Default 1000; 1 to 1,000,000.
    /// </summary>
    public int CheckpointEvents { get; set; } = 1000;

    /// <summary>
    /// How long events are kept: older events are trimmed, but only behind a checkpoint, so the chains still verify from
    /// it. Export them to a SIEM (<c>brokerctl audit export</c>) to keep them longer. Default 30 days; at least 1 hour.
    /// </summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(30);

    /// <summary>
    /// How many checkpoints are kept. Past it they are thinned out (never the oldest, the newest or the one events are
    /// trimmed behind), so the kept ones still reach back past <see cref="Retention"/> to trim behind. Default 1000; at least 1.
    /// </summary>
    public int MaxCheckpoints { get; set; } = 1000;
}
