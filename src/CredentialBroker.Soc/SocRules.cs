using CredentialBroker.Abstractions;
using CredentialBroker.Abstractions.Identity;
using CredentialBroker.Abstractions.Soc;
using CredentialBroker.Abstractions.Storage;
using CredentialBroker.Core.Identity;
using Microsoft.Extensions.Options;

namespace CredentialBroker.Soc;

/// <summary>
/// The bulk revocations in force, held in memory so that introspection, exchange and issuance check them without a
/// store round trip. A young revocation acts as a watermark rule: a credential it selects that was issued no later
/// than the revocation's request is inactive at once, before the fan-out reaches its record. A quarantining
/// revocation refuses new tasks and exchanges for its workloads. This replica applies its own revocations at
/// once; others arrive with the periodic refresh from the store (<see cref="SocOptions.RuleRefreshInterval"/>).
/// </summary>
public sealed class SocRules : IRevocationRules
{
    private readonly RefreshedMap<string, BulkRevocation> _revocations = new(StringComparer.Ordinal);
    private readonly TimeSpan _window;

    /// <summary>Creates an empty rule set (the first refresh fills it).</summary>
    public SocRules(IOptions<CredentialBrokerOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _window = RuleWindow(options.Value);
        _revocations.Replace([], _revocations.BeginRead());
    }

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

    /// <inheritdoc />
    public BulkRevocation? RevokedBy(CredentialLookup lookup, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(lookup);
        foreach (var revocation in Active)
        {
            if (now >= revocation.RequestedAt + _window)
            {
                continue;
            }

            var selector = revocation.Selector;
            var candidates = selector.DerivedFrom is { } root ? lookup.Chain.SkipWhile(c => c.Jti != root) : lookup.Chain;
            if (candidates.Any(c => c.IssuedAt <= revocation.RequestedAt && selector.MatchesIgnoringAncestry(c, lookup.Task)))
            {
                return revocation;
            }
        }

        return null;
    }

    /// <inheritdoc />
    public BulkRevocation? QuarantineOfAny(IEnumerable<string> workloads)
    {
        ArgumentNullException.ThrowIfNull(workloads);
        foreach (var workload in workloads)
        {
            if (QuarantineOf(workload) is { } quarantine)
            {
                return quarantine;
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
