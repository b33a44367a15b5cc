using CredentialBroker.Abstractions.Policy;
using CredentialBroker.EmbeddedStore;

namespace CredentialBroker.Core.Tests;

/// <summary>
/// A policy whose decisions a test sets (the CEL engine has its own tests in CredentialBroker.Policy.Tests).
/// It records every input it was asked about, so tests can check what the broker told the policy.
/// </summary>
internal sealed class TestPolicy : IPolicy, IPolicySource
{
    public Func<PolicyInput, PolicyDecision> Decide { get; set; } = _ => Allow("allow-all");

    public Dictionary<string, string> DataClasses { get; } = new(StringComparer.Ordinal);

    public List<PolicyInput> Inputs { get; } = [];

    public string Version => "test-1";

    public IPolicy Current => this;

    public static PolicyDecision Allow(string rule, TimeSpan? maxTtl = null) => new(true, rule, "test-1", maxTtl, rule);

    public static PolicyDecision Deny(string rule) => new(false, rule, "test-1", null, rule);

    public string? RegisteredDataClass(string destination) => DataClasses.GetValueOrDefault(destination);

    public Func<string, Abstractions.Tasks.TaskState, IReadOnlyCollection<Abstractions.Storage.CredentialKind>> Revokes { get; set; } = StateRevocation.Default.RevokedOnEntering;

    public IReadOnlyCollection<Abstractions.Storage.CredentialKind> RevokedOnEntering(string workflowId, Abstractions.Tasks.TaskState state) => Revokes(workflowId, state);

    public PolicyDecision Evaluate(PolicyInput input)
    {
        lock (Inputs)
        {
            Inputs.Add(input);
        }

        return Decide(input);
    }
}
