namespace CredentialBroker.Downstream.Vault;

/// <summary>
/// Vault refused a call, could not be reached, or answered with something the API does not document. The message names
/// the call (method and path, never a body), the status and Vault's <c>errors</c>, with any token, role id or secret id
/// the client holds replaced by <c>[redacted]</c>.
/// </summary>
internal sealed class VaultException : Exception
{
    public VaultException()
    {
        Errors = [];
    }

    public VaultException(string message)
        : base(message)
    {
        Errors = [];
    }

    public VaultException(string message, Exception innerException)
        : base(message, innerException)
    {
        Errors = [];
    }

    public VaultException(string message, int? statusCode, IReadOnlyList<string> errors, bool transient, Exception? innerException = null)
        : base(message, innerException)
    {
        StatusCode = statusCode;
        Errors = errors;
        Transient = transient;
    }

    /// <summary>The HTTP status Vault answered with; <see langword="null"/> when no answer arrived.</summary>
    public int? StatusCode { get; }

    /// <summary>Vault's <c>errors</c> array (redacted), empty when it sent none.</summary>
    public IReadOnlyList<string> Errors { get; }

    /// <summary>Whether trying again later may help: no answer, 412, 429 or a 5xx.</summary>
    public bool Transient { get; }
}
