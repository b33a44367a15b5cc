using CredentialBroker.Abstractions.Identity;

namespace CredentialBroker.Core.Identity;

/// <summary>The trust bundles the broker accepts callers from, one per trust domain; a domain's bundle can be replaced while running.</summary>
public sealed class TrustBundleSet
{
    private readonly Lock _gate = new();
    private volatile Dictionary<string, TrustBundle> _bundles;

    /// <summary>Creates the set; trust domains must be unique.</summary>
    public TrustBundleSet(IEnumerable<TrustBundle> bundles)
    {
        ArgumentNullException.ThrowIfNull(bundles);
        _bundles = bundles.ToDictionary(b => b.TrustDomain, StringComparer.Ordinal);
    }

    /// <summary>Puts <paramref name="bundle"/> in force for its trust domain, in place of the one before: from the next lookup on.</summary>
    public void Update(TrustBundle bundle)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        lock (_gate)
        {
            _bundles = new Dictionary<string, TrustBundle>(_bundles, StringComparer.Ordinal) { [bundle.TrustDomain] = bundle };
        }
    }

    /// <summary>The trust domains with a bundle.</summary>
    public IEnumerable<string> TrustDomains => _bundles.Keys;

    /// <summary>The bundle of <paramref name="trustDomain"/>, or <see langword="null"/> when that domain is not trusted.</summary>
    public TrustBundle? Find(string trustDomain) => _bundles.GetValueOrDefault(trustDomain);

    /// <summary>Whether <paramref name="id"/> belongs to a trusted trust domain.</summary>
    public bool Trusts(SpiffeId id)
    {
        ArgumentNullException.ThrowIfNull(id);
        return _bundles.ContainsKey(id.TrustDomain);
    }
}
