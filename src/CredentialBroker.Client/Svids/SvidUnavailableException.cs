namespace CredentialBroker.Client.Svids;

/// <summary>An SVID could not be had: a file is missing, unreadable or expired, or the Workload API did not answer.</summary>
public sealed class SvidUnavailableException : Exception
{
    /// <summary>Creates the exception.</summary>
    public SvidUnavailableException()
    {
    }

    /// <summary>Creates the exception with a message that says what is missing and where.</summary>
    public SvidUnavailableException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    public SvidUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
