namespace CredentialBroker.Client.ResourceServers;

/// <summary>
/// Why a signature-valid broker token was refused (revoked, unbound, status unknown). JwtBearer reports failures as
/// exceptions; the message is safe to show in the challenge: it never holds token material.
/// </summary>
public sealed class BrokerTokenRefusedException : Exception
{
    /// <summary>Creates the refusal.</summary>
    public BrokerTokenRefusedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an empty refusal.</summary>
    public BrokerTokenRefusedException()
    {
    }

    /// <summary>Creates a refusal with a cause.</summary>
    public BrokerTokenRefusedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
