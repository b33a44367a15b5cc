using Cel;
using CredentialBroker.Abstractions.Policy;

namespace CredentialBroker.Policy;

/// <summary>A rule with its condition compiled once, and its results remembered for the values it reads (<see cref="ConditionMemo"/>).</summary>
internal sealed class CompiledRule(string id, string? description, PolicyEffect effect, IReadOnlySet<PolicyOperation>? operations, string conditionText, CelProgramDelegate condition, TimeSpan? maxTtl)
{
    private readonly ConditionMemo _memo = ConditionMemo.For(conditionText);

    public string Id { get; } = id;

    public string Reason { get; } = description ?? $"rule {id}";

    public PolicyEffect Effect { get; } = effect;

    public TimeSpan? MaxTtl { get; } = maxTtl;

    public bool AppliesTo(PolicyOperation operation) => operations is null || operations.Contains(operation);

    /// <summary>Evaluates the condition; anything but <see langword="true"/> or <see langword="false"/> is an error.</summary>
    public bool Matches(IDictionary<string, object?> variables) => _memo.Evaluate(variables, Interpret);

    /// <summary>How many results the rule remembers (for tests).</summary>
    internal int Remembered => _memo.Count;

    private bool Interpret(IDictionary<string, object?> variables) => condition(variables) switch
    {
        bool result => result,
        var other => throw new CelException($"The condition of rule '{Id}' evaluated to {other?.GetType().Name ?? "null"}, not a boolean."),
    };
}
