namespace CredentialBroker.Abstractions.Policy;

/// <summary>What a risk level is about.</summary>
public enum RiskSubjectKind
{
    /// <summary>A workload, by SPIFFE ID.</summary>
    Workload,

    /// <summary>A workflow, by workflow id.</summary>
    Workflow,
}
