namespace CredentialBroker.Policy;

/// <summary>One policy file as written (YAML, camelCase keys; unknown keys are errors).</summary>
internal sealed class PolicyDocument
{
    /// <summary>Registered data classes: destination → class. Facts the broker trusts over any label in a request.</summary>
    public Dictionary<string, string>? DataClasses { get; set; }

    /// <summary>The rules, evaluated in order; any matching deny wins.</summary>
    public List<PolicyRuleDocument>? Rules { get; set; }
}
