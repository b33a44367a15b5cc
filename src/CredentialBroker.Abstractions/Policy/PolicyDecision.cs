namespace CredentialBroker.Abstractions.Policy;

/// <summary>A policy's answer, carrying what the audit trail needs: the deciding rule and the policy version.</summary>
/// <param name="Allowed">Whether the request may proceed.</param>
/// <param name="RuleId">The rule that decided (<c>default-deny</c> when none matched).</param>
/// <param name="PolicyVersion">The hash of the policy in force.</param>
/// <param name="MaxTtl">The tightest lifetime limit of the matching rules, if any.</param>
/// <param name="Reason">A short explanation, safe to show the caller.</param>
public sealed record PolicyDecision(bool Allowed, string RuleId, string PolicyVersion, TimeSpan? MaxTtl, string Reason)
{
    /// <summary>Combines per-grant decisions: denied if any is denied (the first denial speaks), otherwise allowed with the tightest limit.</summary>
    public static PolicyDecision Combine(IReadOnlyList<PolicyDecision> decisions)
    {
        ArgumentNullException.ThrowIfNull(decisions);
        if (decisions.Count == 0)
        {
            throw new ArgumentException("At least one decision is needed.", nameof(decisions));
        }

        if (decisions.FirstOrDefault(d => !d.Allowed) is { } denied)
        {
            return denied;
        }

        var limits = decisions.Where(d => d.MaxTtl is not null).Select(d => d.MaxTtl!.Value).ToList();
        return new PolicyDecision(
            true,
            string.Join(',', decisions.Select(d => d.RuleId).Distinct(StringComparer.Ordinal)),
            decisions[0].PolicyVersion,
            limits.Count == 0 ? null : limits.Min(),
            decisions[0].Reason);
    }
}
