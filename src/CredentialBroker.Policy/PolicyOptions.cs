namespace CredentialBroker.Policy;

/// <summary>Where the policy comes from, bound from <c>CredentialBroker:Policy</c>.</summary>
public sealed class PolicyOptions
{
    /// <summary>The configuration section these options bind from.</summary>
    public const string SectionName = "CredentialBroker:Policy";

    /// <summary>
    /// A policy file, or a directory whose <c>*.yaml</c> files (except <c>*_test.yaml</c>) form the policy.
    /// Watched: changes take effect at once, broken changes are rejected. Default: none, and the built-in
    /// policy applies (deny while the SOC rates a workload or workflow high or critical; otherwise allow
    /// whatever passes the broker's structural checks).
    /// </summary>
    public string? Path { get; set; }
}
