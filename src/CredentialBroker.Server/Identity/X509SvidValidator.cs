using System.Security.Cryptography.X509Certificates;
using CredentialBroker.Abstractions;
using CredentialBroker.Abstractions.Identity;
using CredentialBroker.Client.ResourceServers;
using CredentialBroker.Core;
using CredentialBroker.Core.Identity;

namespace CredentialBroker.Server.Identity;

/// <summary>
/// Validates a TLS client certificate as an X.509-SVID (SPIFFE X509-SVID spec): exactly one <c>spiffe://</c> URI SAN,
/// a leaf (not a CA) allowed to sign, current by the broker's clock, and chaining to the X.509 bundle of the trust
/// domain its SPIFFE ID names — a certificate of domain B issued by A's authority fails. TLS accepts any client
/// certificate; this is where it is judged, so a bad one yields no identity rather than a failed handshake.
/// </summary>
internal sealed class X509SvidValidator
{
    private readonly IReadOnlyDictionary<string, X509Certificate2Collection> _bundles;
    private readonly TimeProvider _time;

    public X509SvidValidator(IReadOnlyDictionary<string, X509Certificate2Collection> bundles, [FromKeyedServices(BrokerTime.ServiceKey)] TimeProvider time)
    {
        _bundles = bundles;
        _time = time;
    }

    /// <summary>Whether callers can authenticate with X.509-SVIDs at all (any X.509 bundle configured).</summary>
    public bool Enabled => _bundles.Count > 0;

    /// <summary>Loads the configured X.509 bundles (PEM files of CA certificates).</summary>
    /// <exception cref="InvalidOperationException">A file is missing or holds no certificate.</exception>
    public static IReadOnlyDictionary<string, X509Certificate2Collection> LoadBundles(CredentialBrokerOptions options)
    {
        var bundles = new Dictionary<string, X509Certificate2Collection>(StringComparer.Ordinal);
        var failures = new List<string>();
        foreach (var (trustDomain, path) in options.X509Bundles)
        {
            try
            {
                var authorities = new X509Certificate2Collection();
                authorities.ImportFromPemFile(path);
                if (authorities.Count == 0)
                {
                    failures.Add($"{CredentialBrokerOptions.SectionName}:X509Bundles:{trustDomain} ('{path}') holds no certificate.");
                }

                bundles[trustDomain] = authorities;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
            {
                failures.Add($"{CredentialBrokerOptions.SectionName}:X509Bundles:{trustDomain} ('{path}'): {ex.Message}");
            }
        }

        return failures.Count == 0 ? bundles : throw new InvalidOperationException(string.Join(Environment.NewLine, failures));
    }

    /// <summary>
    /// The certificate's SPIFFE ID when it is a valid X.509-SVID, else <see langword="null"/>. A leaf SVID is no CA and may
    /// not sign certificates or CRLs (X.509-SVID §4.3), whichever authority issued it.
    /// </summary>
    public SpiffeId? Validate(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        if (!SpiffeId.TryParse(PresenterIdentity.SpiffeId(certificate), out var id, out _)
            || !_bundles.TryGetValue(id.TrustDomain, out var authorities)
            || certificate.Extensions.OfType<X509BasicConstraintsExtension>().Any(c => c.CertificateAuthority)
            || certificate.Extensions.OfType<X509KeyUsageExtension>().FirstOrDefault() is { } usage
                && (!usage.KeyUsages.HasFlag(X509KeyUsageFlags.DigitalSignature) || (usage.KeyUsages & (X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign)) != 0))
        {
            return null;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(authorities);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck; // SVIDs are short-lived; SPIFFE has no CRLs
        chain.ChainPolicy.VerificationTime = _time.GetUtcNow().UtcDateTime;
        chain.ChainPolicy.VerificationTimeIgnored = false;
        return chain.Build(certificate) ? id : null;
    }
}
