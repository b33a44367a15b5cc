namespace CredentialBroker.Abstractions.Identity;

/// <summary>What a caller may do. A SPIFFE ID can hold several roles; configuration binds them to ID patterns.</summary>
[Flags]
public enum BrokerRoles
{
    /// <summary>No role: the caller is authenticated but may call nothing that needs a role.</summary>
    None = 0,

    /// <summary>Creates tasks and reports their state.</summary>
    Orchestrator = 1,

    /// <summary>Holds task tokens and exchanges them.</summary>
    Agent = 2,

    /// <summary>Security operations: reads any task, revokes anything, declares incidents.</summary>
    Soc = 4,

    /// <summary>A downstream system that introspects tokens and follows the revocation feed.</summary>
    ResourceServer = 8,

    /// <summary>Lets tasks continue past their deadline (continuation approvals) and reads the accountability trace.</summary>
    Operator = 16,
}
