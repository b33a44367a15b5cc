namespace CredentialBroker.Policy;

/// <summary>One policy file as written (YAML, camelCase keys; unknown keys are errors).</summary>
internal sealed class PolicyDocument
{
    /// <summary>Registered data classes: destination → class. Facts the broker trusts over any label in a request.</summary>
    public Dictionary<string, string>? DataClasses { get; set; }

    /// <summary>The rules, evaluated in order; any matching deny wins.</summary>
    public List<PolicyRuleDocument>? Rules { get; set; }

    /// <summary>Which credential kinds a non-terminal state change revokes.</summary>
    public StateRevocationDocument? StateRevocation { get; set; }
}

/// <summary>
/// <c>stateRevocation</c>: per non-terminal state (<c>running</c>, <c>paused</c>, <c>awaiting_approval</c>) the
/// credential kinds it revokes, as a default and per workflow id (a workflow's entry replaces the default for
/// the states it names).
/// </summary>
internal sealed class StateRevocationDocument
{
    public Dictionary<string, List<string>>? Default { get; set; }

    public Dictionary<string, Dictionary<string, List<string>>>? Workflows { get; set; }
}
