namespace CredentialBroker.Abstractions.Policy;

/// <summary>A current risk level the SOC assigns to a workload or workflow. Wire names are lowercase.</summary>
public enum RiskLevel
{
    /// <summary>No risk recorded (the default).</summary>
    None,

    /// <summary>Low.</summary>
    Low,

    /// <summary>Medium.</summary>
    Medium,

    /// <summary>High.</summary>
    High,

    /// <summary>Critical.</summary>
    Critical,
}
