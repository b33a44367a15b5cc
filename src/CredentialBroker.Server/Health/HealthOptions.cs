namespace CredentialBroker.Server.Health;

/// <summary>The readiness probe, bound from <c>CredentialBroker:Health</c>.</summary>
public sealed class HealthOptions
{
    /// <summary>The configuration section these options bind from.</summary>
    public const string SectionName = "CredentialBroker:Health";

    /// <summary>
    /// How long <c>/readyz</c> waits for the store before it answers 503. Shorter than the probe's own timeout (the chart's
    /// readiness probe gives up after 2 s), so a hung store is reported as unready rather than as a probe timeout. Default 1 s;
    /// 100 ms to 30 s.
    /// </summary>
    public TimeSpan ReadinessTimeout { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How often each replica compares its clock with the store's (Redis <c>TIME</c>). Default 30 s; 1 s to 1 h.</summary>
    public TimeSpan ClockDriftCheckInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// A replica whose clock is this far from the store's logs a warning (event 1620) at every check until it is back in
    /// step, and reports the drift as the metric <c>credentialbroker.clock.drift</c>. Default 10 s, a third of the largest
    /// <c>ClockSkew</c> allowed; 1 s to 30 s.
    /// </summary>
    public TimeSpan ClockDriftAlarm { get; set; } = TimeSpan.FromSeconds(10);
}
