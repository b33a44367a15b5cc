namespace CredentialBroker.Policy;

/// <summary>One problem found while loading a policy.</summary>
/// <param name="File">The file it is in.</param>
/// <param name="Location">Where in the file: a rule id, a line and column, or a key.</param>
/// <param name="Message">What is wrong.</param>
public sealed record PolicyError(string File, string Location, string Message)
{
    /// <inheritdoc />
    public override string ToString() => $"{File}: {Location}: {Message}";
}
