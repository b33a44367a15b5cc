using CredentialBroker.Core.Identity;
using CredentialBroker.Core.Storage;
using CredentialBroker.Core.Tasks;

namespace CredentialBroker.Core.Soc;

/// <summary>
/// The bulk revocations in force, held in memory so that introspection, exchange and issuance check them without a
/// store round trip. A young revocation acts as a watermark rule: a credential it selects that was issued no later
/// than the revocation's request is inactive at once, before the fan-out reaches its record. A quarantining
/// revocation refuses new tasks and exchanges for its workloads. This replica applies its own revocations at
/// once; others arrive with the periodic refresh from the store (<see cref="SocOptions.RuleRefreshInterval"/>).
/// </summary>
public sealed class SocRules
{
    private readonly RefreshedMap<string, BulkRevocation> _revocations = new(StringComparer.Ordinal);

    /// <summary>Creates an empty rule set (the first refresh fills it).</summary>
    public SocRules() => _revocations.Replace([], _revocations.BeginRead());

    /// <summary>How long a revocation acts as a rule: after that, every credential it could select has expired.</summary>
    public static TimeSpan RuleWindow(CredentialBrokerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.MaxTaskTtl + options.ClockSkew;
    }

    /// <summary>A version to pass to <see cref="Replace"/> for a store read that starts now.</summary>
    public long BeginRead() => _revocations.BeginRead();

    /// <summary>
    /// Replaces the rules with what the store holds, keeping revocations this replica applied after the read
    /// began (<paramref name="readVersion"/>), which the read may have missed.
    /// </summary>
    public void Replace(IReadOnlyList<BulkRevocation> stored, long readVersion)
    {
        ArgumentNullException.ThrowIfNull(stored);
        _revocations.Replace(stored.Select(r => KeyValuePair.Create(r.Id, r)), readVersion);
    }

    /// <summary>Puts a revocation this replica just stored in force at once.</summary>
    public void Apply(BulkRevocation revocation)
    {
        ArgumentNullException.ThrowIfNull(revocation);
        _revocations.Write(revocation.Id, revocation);
    }

    /// <summary>The revocations in force.</summary>
    public IEnumerable<BulkRevocation> Active => _revocations.Current!.Values;

    /// <summary>The revocation whose rule makes <paramref name="credential"/> inactive at <paramref name="now"/>, or <see langword="null"/>.</summary>
    public BulkRevocation? RevokedBy(CredentialRecord credential, TaskRecord task, DateTimeOffset now, TimeSpan window)
    {
        ArgumentNullException.ThrowIfNull(credential);
        foreach (var revocation in Active)
        {
            // A subtree selector needs ancestry, which one record does not carry; its fan-out is one atomic step anyway.
            if (revocation.Selector.DerivedFrom is null
                && now < revocation.RequestedAt + window
                && credential.IssuedAt <= revocation.RequestedAt
                && revocation.Selector.MatchesIgnoringAncestry(credential, task))
            {
                return revocation;
            }
        }

        return null;
    }

    /// <summary>The revocation that quarantines <paramref name="workload"/>, or <see langword="null"/>.</summary>
    public BulkRevocation? QuarantineOf(string workload)
    {
        ArgumentNullException.ThrowIfNull(workload);
        foreach (var revocation in Active)
        {
            if (revocation.Quarantining && revocation.Selector.Workload is { } pattern && SpiffeIdPattern.Matches(pattern, workload))
            {
                return revocation;
            }
        }

        return null;
    }
}
