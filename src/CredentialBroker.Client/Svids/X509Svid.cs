using System.Security.Cryptography.X509Certificates;
using CredentialBroker.Client.ResourceServers;

namespace CredentialBroker.Client.Svids;

/// <summary>An X.509-SVID with its private key, any intermediates, and the X.509 trust bundle of its trust domain.</summary>
public sealed class X509Svid
{
    /// <summary>Creates an X.509-SVID; <paramref name="certificate"/> must carry its private key and one <c>spiffe://</c> URI SAN.</summary>
    /// <exception cref="ArgumentException">The certificate has no private key or no SPIFFE ID.</exception>
    public X509Svid(X509Certificate2 certificate, X509Certificate2Collection intermediates, X509Certificate2Collection bundle)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        if (!certificate.HasPrivateKey)
        {
            throw new ArgumentException("The X.509-SVID needs its private key.", nameof(certificate));
        }

        Certificate = certificate;
        SpiffeId = PresenterIdentity.SpiffeId(certificate) ?? throw new ArgumentException("The certificate has not exactly one spiffe:// URI SAN.", nameof(certificate));
        Intermediates = intermediates ?? [];
        Bundle = bundle ?? [];
    }

    /// <summary>The SVID, with its private key.</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>Intermediate certificates between the SVID and the bundle (often none).</summary>
    public X509Certificate2Collection Intermediates { get; }

    /// <summary>The trust bundle: the authorities of this trust domain, which peers' SVIDs must chain to.</summary>
    public X509Certificate2Collection Bundle { get; }

    /// <summary>The SVID's SPIFFE ID.</summary>
    public string SpiffeId { get; }

    /// <summary>When the SVID expires.</summary>
    public DateTimeOffset ExpiresAt => Certificate.NotAfter.ToUniversalTime();

    /// <summary>Whether <paramref name="peer"/> (with <paramref name="extra"/> certificates it sent) chains to <see cref="Bundle"/>.</summary>
    public bool Trusts(X509Certificate2 peer, X509Certificate2Collection? extra = null)
    {
        ArgumentNullException.ThrowIfNull(peer);
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(Bundle);
        if (extra is not null)
        {
            chain.ChainPolicy.ExtraStore.AddRange(extra);
        }

        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck; // SVIDs are short-lived; SPIFFE has no CRLs
        return Bundle.Count > 0 && chain.Build(peer);
    }

    /// <inheritdoc />
    public override string ToString() => $"X.509-SVID {SpiffeId}, expires {ExpiresAt:O}";
}
