namespace CredentialBroker.Abstractions.Secrets;

/// <summary>A downstream backend refused to issue a secret or could not be reached. The message never carries a secret.</summary>
public sealed class SecretIssueException : Exception
{
    /// <summary>Creates the exception.</summary>
    public SecretIssueException()
    {
    }

    /// <summary>Creates the exception.</summary>
    public SecretIssueException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public SecretIssueException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Whether retrying later may help (the backend was unreachable or busy).</summary>
    public bool Transient { get; init; }
}
