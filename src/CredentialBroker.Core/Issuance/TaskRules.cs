using CredentialBroker.Abstractions;
using CredentialBroker.Abstractions.Identity;
using CredentialBroker.Abstractions.Policy;
using CredentialBroker.Abstractions.Tasks;
using CredentialBroker.Core.Identity;
using Microsoft.Extensions.Options;

namespace CredentialBroker.Core.Issuance;

/// <summary>
/// The rules a new task must satisfy beyond the shape of its request: an agent of a trusted trust domain, a TTL within
/// the configured bounds, a delegation depth within the configured limit, and no data class that contradicts the one
/// policy registers for a destination. <see cref="TaskIssuanceService"/> enforces them; the HTTP layer asks them field by
/// field so a request's every problem is reported at once.
/// </summary>
public sealed class TaskRules(IOptions<CredentialBrokerOptions> options, TrustBundleSet trust, IPolicySource policy)
{
    private readonly CredentialBrokerOptions _options = (options ?? throw new ArgumentNullException(nameof(options))).Value;

    /// <summary>What is wrong with <paramref name="agent"/> as a task's agent, or <see langword="null"/>.</summary>
    public string? AgentProblem(SpiffeId agent)
    {
        ArgumentNullException.ThrowIfNull(agent);
        return trust.Trusts(agent) ? null : $"the trust domain '{agent.TrustDomain}' has no trust bundle here, so this agent could never authenticate";
    }

    /// <summary>What is wrong with <paramref name="ttl"/>, or <see langword="null"/>.</summary>
    public string? TtlProblem(TimeSpan ttl) => ttl < _options.MinTaskTtl || ttl > _options.MaxTaskTtl
        ? $"must lie between {(int)_options.MinTaskTtl.TotalSeconds} and {(int)_options.MaxTaskTtl.TotalSeconds} seconds"
        : null;

    /// <summary>What is wrong with <paramref name="depth"/> as a task's delegation limit, or <see langword="null"/>.</summary>
    public string? DepthProblem(int depth) => depth < 0 || depth > _options.MaxDelegationDepth
        ? $"must lie between 0 and {_options.MaxDelegationDepth}"
        : null;

    /// <summary>What is wrong with the data class a grant declares for <paramref name="destination"/>, or <see langword="null"/>.</summary>
    public string? DataClassProblem(string destination, string? declared) =>
        declared is not null && policy.Current.RegisteredDataClass(destination) is { } registered && registered != declared
            ? $"'{declared}' contradicts the class '{registered}' registered for this destination; leave it out or match it"
            : null;

    /// <summary>Every problem with <paramref name="draft"/>, named by the request fields they concern.</summary>
    public FieldErrors Check(TaskDraft draft)
    {
        ArgumentNullException.ThrowIfNull(draft);
        var errors = new FieldErrors();
        void Add(string field, string? problem)
        {
            if (problem is not null)
            {
                errors.Add(field, problem);
            }
        }

        Add("agent", SpiffeId.TryParse(draft.Agent, out var agent, out var error) ? AgentProblem(agent) : error);
        Add("ttlSeconds", TtlProblem(draft.Ttl));
        Add("maxDelegationDepth", DepthProblem(draft.MaxDelegationDepth));
        for (var i = 0; i < draft.Authorization.Count; i++)
        {
            Add($"authorization[{i}].dataClass", DataClassProblem(draft.Authorization[i].Destination, draft.Authorization[i].DataClass));
        }

        return errors;
    }
}
