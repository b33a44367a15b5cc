namespace CredentialBroker.Abstractions.Storage;

/// <summary>Whether a credential may still be used.</summary>
public enum CredentialStatus
{
    /// <summary>Valid until its expiry.</summary>
    Active,

    /// <summary>Revoked before its expiry.</summary>
    Revoked,

    /// <summary>Past its expiry.</summary>
    Expired,
}
