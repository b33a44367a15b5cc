using CredentialBroker.Abstractions.Identity;

namespace CredentialBroker.Core.Identity;

/// <summary>The trust bundles the broker accepts callers from, one per trust domain.</summary>
public sealed class TrustBundleSet
{
    private readonly Dictionary<string, TrustBundle> _bundles;

    /// <summary>Creates the set; trust domains must be unique.</summary>
    public TrustBundleSet(IEnumerable<TrustBundle> bundles)
    {
        ArgumentNullException.ThrowIfNull(bundles);
        _bundles = bundles.ToDictionary(b => b.TrustDomain, StringComparer.Ordinal);
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
