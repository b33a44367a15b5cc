namespace CredentialBroker.Downstream.Providers;

/// <summary>
/// A downstream backend refused or could not be reached. The message is safe to store and show: it never carries a
/// password, a token or a connection string.
/// </summary>
public sealed class DownstreamException : Exception
{
    /// <summary>Creates the exception.</summary>
    public DownstreamException()
    {
    }

    /// <summary>Creates the exception.</summary>
    public DownstreamException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public DownstreamException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Whether retrying may help (the backend was unreachable or busy), as opposed to a refusal that will repeat.</summary>
    public bool Transient { get; init; }
}
