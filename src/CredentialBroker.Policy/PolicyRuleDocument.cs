namespace CredentialBroker.Policy;

/// <summary>One rule as written.</summary>
internal sealed class PolicyRuleDocument
{
    /// <summary>A unique id, recorded with every decision the rule makes.</summary>
    public string? Id { get; set; }

    /// <summary>What the rule is for; shown as the reason of its decisions.</summary>
    public string? Description { get; set; }

    /// <summary><c>allow</c>, <c>deny</c> or <c>limit</c>.</summary>
    public string? Effect { get; set; }

    /// <summary>The decision points the rule applies to (<c>create_task</c>, <c>exchange</c>, <c>delegate</c>); all when absent.</summary>
    public List<string>? Operations { get; set; }

    /// <summary>A CEL expression that must evaluate to a boolean.</summary>
    public string? Condition { get; set; }

    /// <summary>With <c>limit</c> (or <c>allow</c>): the longest TTL a matching request may get.</summary>
    public int? MaxTtlSeconds { get; set; }
}
