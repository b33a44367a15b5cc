namespace CredentialBroker.Abstractions.Policy;

/// <summary>
/// One immutable version of the policy. Default deny: a grant is allowed only when an allow rule matches
/// and no deny rule does. A request takes one snapshot from <see cref="IPolicySource.Current"/> and decides
/// all its grants with it, so one decision never mixes two policy versions.
/// </summary>
public interface IPolicy
{
    /// <summary>The hash of this policy version.</summary>
    string Version { get; }

    /// <summary>The data class registered for <paramref name="destination"/>, or <see langword="null"/>.</summary>
    string? RegisteredDataClass(string destination);

    /// <summary>Decides one grant.</summary>
    PolicyDecision Evaluate(PolicyInput input);

    /// <summary>
    /// Which credential kinds a task of <paramref name="workflowId"/> loses when it enters the non-terminal
    /// state <paramref name="state"/> (terminal states always revoke everything, whatever the policy says).
    /// </summary>
    IReadOnlyCollection<Storage.CredentialKind> RevokedOnEntering(string workflowId, Tasks.TaskState state);
}
