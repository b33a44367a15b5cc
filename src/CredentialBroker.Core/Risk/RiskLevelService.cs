using CredentialBroker.Abstractions;
using CredentialBroker.Abstractions.Identity;
using CredentialBroker.Abstractions.Policy;
using Microsoft.Extensions.DependencyInjection;

namespace CredentialBroker.Core.Risk;

/// <summary>
/// The SOC's risk levels for workloads and workflows, which policies decide on as facts. A level applies to the next
/// decision on this replica at once and on every other within the rules refresh interval.
/// </summary>
public sealed class RiskLevelService(IRiskRegistry registry, [FromKeyedServices(BrokerTime.ServiceKey)] TimeProvider time)
{
    /// <summary>The longest reason a level may carry.</summary>
    public const int MaxReasonLength = 1024;

    /// <summary>Every level set, workloads first.</summary>
    public ValueTask<IReadOnlyList<RiskEntry>> ListAsync(CancellationToken cancellationToken) => registry.ListAsync(cancellationToken);

    /// <summary>
    /// Sets the level of a workload (a SPIFFE ID) or a workflow (1 to 256 characters); level <c>none</c> clears it. Every
    /// problem is reported at once.
    /// </summary>
    public async ValueTask<RiskLevelChange> SetAsync(CallerIdentity caller, RiskSubjectKind kind, string id, string? level, string? reason, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        var errors = new FieldErrors();
        if (kind == RiskSubjectKind.Workload && !SpiffeId.TryParse(id, out _, out var idError))
        {
            errors.Add("workload", idError + " (the path is the SPIFFE ID without 'spiffe://')");
        }

        if (kind == RiskSubjectKind.Workflow && (id.Length is 0 or > 256))
        {
            errors.Add("workflow", "between 1 and 256 characters");
        }

        if (!RiskLevels.TryParseWireName(level, out var parsed))
        {
            errors.Add("level", "must be one of none, low, medium, high, critical");
        }

        if (reason is { Length: > MaxReasonLength })
        {
            errors.Add("reason", $"at most {MaxReasonLength} characters");
        }

        if (errors.Any)
        {
            return new RiskLevelChange(null, errors);
        }

        var entry = new RiskEntry(kind, id, parsed, reason, caller.Id.Value, time.GetUtcNowMilliseconds());
        await registry.SetAsync(entry, cancellationToken);
        return new RiskLevelChange(entry, errors);
    }
}
