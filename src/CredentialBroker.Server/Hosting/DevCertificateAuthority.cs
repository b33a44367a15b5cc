using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace CredentialBroker.Server.Hosting;

/// <summary>
/// Development mode's X.509 authority: an ephemeral P-256 CA that issues X.509-SVIDs (one <c>spiffe://</c> URI SAN, a
/// leaf that may sign, for TLS client and server use). Its certificate is the dev trust domain's X.509 bundle.
/// </summary>
internal sealed class DevCertificateAuthority : IDisposable
{
    private static readonly Oid ServerAuthentication = new("1.3.6.1.5.5.7.3.1");
    private static readonly Oid ClientAuthentication = new("1.3.6.1.5.5.7.3.2");
    private readonly ECDsa _key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private long _serial;

    /// <summary>Creates the CA, valid from five minutes before <paramref name="now"/> for <paramref name="lifetime"/>.</summary>
    public DevCertificateAuthority(string trustDomain, DateTimeOffset now, TimeSpan lifetime)
    {
        var request = new CertificateRequest($"CN={trustDomain} development CA, O=CredentialBroker", _key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        Certificate = request.CreateSelfSigned(now.AddMinutes(-5), now + lifetime);
    }

    /// <summary>The CA certificate: the X.509 bundle that verifies the dev X.509-SVIDs.</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>
    /// Issues an X.509-SVID for <paramref name="spiffeId"/>, valid from a minute before <paramref name="now"/> for
    /// <paramref name="lifetime"/>; a <paramref name="server"/> SVID also names <c>localhost</c> and <c>127.0.0.1</c>, so a
    /// local service can serve TLS with it.
    /// </summary>
    public X509Certificate2 Issue(string spiffeId, DateTimeOffset now, TimeSpan lifetime, bool server)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("O=CredentialBroker development", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddUri(new Uri(spiffeId));
        if (server)
        {
            names.AddDnsName("localhost");
            names.AddIpAddress(IPAddress.Loopback);
        }

        request.CertificateExtensions.Add(names.Build(critical: false));
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyAgreement, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([ServerAuthentication, ClientAuthentication], false));
        var serial = BitConverter.GetBytes(Interlocked.Increment(ref _serial) + 1);
        using var issued = request.Create(Certificate, now.AddMinutes(-1), now + lifetime, serial);
        return issued.CopyWithPrivateKey(key);
    }

    public void Dispose()
    {
        Certificate.Dispose();
        _key.Dispose();
    }
}
