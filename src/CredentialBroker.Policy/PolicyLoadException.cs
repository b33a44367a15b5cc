namespace CredentialBroker.Policy;

/// <summary>A policy could not be loaded; <see cref="Errors"/> lists every problem found.</summary>
public sealed class PolicyLoadException : Exception
{
    /// <summary>Creates the exception.</summary>
    public PolicyLoadException(IReadOnlyList<PolicyError> errors)
        : base("The policy is invalid:" + Environment.NewLine + string.Join(Environment.NewLine, (errors ?? []).Select(e => "  - " + e)))
    {
        Errors = errors ?? [];
    }

    /// <summary>Creates the exception with a message.</summary>
    public PolicyLoadException(string message)
        : base(message)
    {
        Errors = [];
    }

    /// <summary>Creates the exception with a message and cause.</summary>
    public PolicyLoadException(string message, Exception innerException)
        : base(message, innerException)
    {
        Errors = [];
    }

    /// <summary>Every problem found.</summary>
    public IReadOnlyList<PolicyError> Errors { get; }
}
