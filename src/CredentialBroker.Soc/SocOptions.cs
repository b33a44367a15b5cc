namespace CredentialBroker.Soc;

/// <summary>Settings of the SOC features (configuration section <c>CredentialBroker:Soc</c>).</summary>
public sealed class SocOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "CredentialBroker:Soc";

    /// <summary>How often each replica reloads the revocations in force (rules and quarantines other replicas stored).</summary>
    public TimeSpan RuleRefreshInterval { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>How often running bulk revocations are advanced (fan-out, then downstream progress).</summary>
    public TimeSpan ProgressInterval { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// How much a fan-out reads and revokes at once, and its follow-up reads: <c>Concurrency / 16</c> chunks of 200 tasks (or
    /// credentials) at a time, at least one. Default 64.
    /// </summary>
    public int Concurrency { get; set; } = 64;

    /// <summary>How long a replica holds a running revocation before another may take it over.</summary>
    public TimeSpan Lease { get; set; } = TimeSpan.FromSeconds(30);
}
