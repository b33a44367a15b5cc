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
}
