namespace CredentialBroker.Abstractions.Policy;

/// <summary>Where the policy in force comes from; reloads replace <see cref="Current"/> atomically.</summary>
public interface IPolicySource
{
    /// <summary>The policy in force now.</summary>
    IPolicy Current { get; }
}
