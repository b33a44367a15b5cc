using Cel;
using CredentialBroker.Abstractions.Policy;
using CredentialBroker.Abstractions.Storage;
using CredentialBroker.Abstractions.Tasks;

using Microsoft.Extensions.Logging;

namespace CredentialBroker.Policy;

/// <summary>
/// One loaded, compiled, immutable policy version. Deny overrides: a matching deny rule decides; otherwise
/// the first matching allow rule decides, with the tightest TTL of every matching allow or limit rule; if
/// no allow rule matches, the answer is <c>default-deny</c>. A condition that fails to evaluate counts as
/// matching for deny rules and as not matching for allow and limit rules: errors never open a door.
/// </summary>
public sealed partial class CompiledPolicy : IPolicy
{
    /// <summary>The rule id of the implicit decision when no allow rule matches.</summary>
    public const string DefaultDenyRule = "default-deny";

    private readonly IReadOnlyList<CompiledRule> _rules;
    private readonly IReadOnlyDictionary<string, string> _dataClasses;
    private readonly StateRevocation _stateRevocation;
    private readonly ILogger _logger;

    internal CompiledPolicy(string version, string source, IReadOnlyList<CompiledRule> rules, IReadOnlyDictionary<string, string> dataClasses, StateRevocation stateRevocation, ILogger logger)
    {
        Version = version;
        Source = source;
        _rules = rules;
        _dataClasses = dataClasses;
        _stateRevocation = stateRevocation;
        _logger = logger;
    }

    /// <inheritdoc />
    public string Version { get; }

    /// <summary>Where the policy came from: a path, or <c>built-in</c>.</summary>
    public string Source { get; }

    /// <summary>The rule ids in evaluation order.</summary>
    public IReadOnlyList<string> RuleIds => [.. _rules.Select(r => r.Id)];

    /// <summary>The registered data classes.</summary>
    public IReadOnlyDictionary<string, string> DataClasses => _dataClasses;

    /// <inheritdoc />
    public string? RegisteredDataClass(string destination) => _dataClasses.GetValueOrDefault(destination);

    /// <inheritdoc />
    public IReadOnlyCollection<CredentialKind> RevokedOnEntering(string workflowId, TaskState state) => _stateRevocation.RevokedOnEntering(workflowId, state);

    /// <inheritdoc />
    public PolicyDecision Evaluate(PolicyInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var variables = CelInput.From(input, RegisteredDataClass(input.Request.Destination));
        CompiledRule? allowedBy = null;
        TimeSpan? maxTtl = null;
        foreach (var rule in _rules)
        {
            if (!rule.AppliesTo(input.Operation))
            {
                continue;
            }

            bool matched;
            try
            {
                matched = rule.Matches(variables);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                LogRuleFailed(_logger, rule.Id, Version, ex.GetType().Name, ex.Message);
                if (rule.Effect == PolicyEffect.Deny)
                {
                    return new PolicyDecision(false, rule.Id, Version, null, $"rule {rule.Id} failed to evaluate, so it denies");
                }

                continue;
            }

            if (!matched)
            {
                continue;
            }

            if (rule.Effect == PolicyEffect.Deny)
            {
                return new PolicyDecision(false, rule.Id, Version, null, rule.Reason);
            }

            if (rule.MaxTtl is { } limit && (maxTtl is null || limit < maxTtl))
            {
                maxTtl = limit;
            }

            if (rule.Effect == PolicyEffect.Allow)
            {
                allowedBy ??= rule;
            }
        }

        return allowedBy is null
            ? new PolicyDecision(false, DefaultDenyRule, Version, null, "no rule allows this request")
            : new PolicyDecision(true, allowedBy.Id, Version, maxTtl, allowedBy.Reason);
    }

    [LoggerMessage(EventId = 1800, EventName = "PolicyRuleFailed", Level = LogLevel.Warning,
        Message = "Policy rule {Rule} (policy {Version}) failed to evaluate ({Error}: {Message})")]
    private static partial void LogRuleFailed(ILogger logger, string rule, string version, string error, string message);
}
