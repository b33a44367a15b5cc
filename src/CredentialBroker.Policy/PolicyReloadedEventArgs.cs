namespace CredentialBroker.Policy;

/// <summary>The outcome of a reload: the version in force afterwards, and the errors if the change was rejected.</summary>
public sealed class PolicyReloadedEventArgs(string version, IReadOnlyList<PolicyError> errors) : EventArgs
{
    /// <summary>The version in force after the attempt.</summary>
    public string Version { get; } = version;

    /// <summary>Why the change was rejected; empty when it was accepted (or changed nothing).</summary>
    public IReadOnlyList<PolicyError> Errors { get; } = errors;
}
