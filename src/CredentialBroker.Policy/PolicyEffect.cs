namespace CredentialBroker.Policy;

/// <summary>What a matching rule does.</summary>
public enum PolicyEffect
{
    /// <summary>Allows the request unless a deny rule matches too.</summary>
    Allow,

    /// <summary>Denies the request, whatever else matches.</summary>
    Deny,

    /// <summary>Allows nothing by itself; caps the TTL of a request another rule allows.</summary>
    Limit,
}
