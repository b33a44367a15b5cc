namespace CredentialBroker.Client;

/// <summary>Thrown by <see cref="BrokerResult{T}.Value"/> and <see cref="BrokerResult.EnsureSuccess"/> when a broker call failed.</summary>
public sealed class BrokerRequestException : Exception
{
    /// <summary>Creates the exception for <paramref name="error"/>.</summary>
    public BrokerRequestException(BrokerError error)
        : base((error ?? throw new ArgumentNullException(nameof(error))).ToString()) => Error = error;

    /// <summary>Creates the exception with a message only (for serializers and tests).</summary>
    public BrokerRequestException()
        : this(new BrokerError { Code = BrokerError.UnexpectedResponse })
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public BrokerRequestException(string message)
        : base(message) => Error = new BrokerError { Code = BrokerError.UnexpectedResponse, Description = message };

    /// <summary>Creates the exception with a message and a cause.</summary>
    public BrokerRequestException(string message, Exception innerException)
        : base(message, innerException) => Error = new BrokerError { Code = BrokerError.UnexpectedResponse, Description = message };

    /// <summary>Why the call failed.</summary>
    public BrokerError Error { get; }
}
