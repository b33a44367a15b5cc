using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace CredentialBroker.Testing;

/// <summary>An X.509 trust domain for tests: a CA that issues X.509-SVIDs (one SPIFFE URI SAN each), written as PEM files.</summary>
public sealed class TestPki : IDisposable
{
    private readonly ECDsa _caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly X509Certificate2 _ca;
    private readonly string _directory = Directory.CreateTempSubdirectory("cb-pki-").FullName;
    private int _issued;

    /// <summary>Creates the CA and writes its certificate (the trust bundle) to <see cref="BundleFile"/>.</summary>
    public TestPki(string trustDomain)
    {
        var request = new CertificateRequest($"CN={trustDomain} test CA", _caKey, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        var now = TimeProvider.System.GetUtcNow();
        _ca = request.CreateSelfSigned(now.AddMinutes(-5), now.AddHours(2));
        BundleFile = Path.Combine(_directory, "bundle.pem");
        File.WriteAllText(BundleFile, _ca.ExportCertificatePem());
    }

    /// <summary>The CA certificate as PEM: what peers must chain to.</summary>
    public string BundleFile { get; }

    /// <summary>The CA certificate.</summary>
    public X509Certificate2 Authority => _ca;

    /// <summary>Issues an X.509-SVID for <paramref name="spiffeId"/>, also valid as a TLS server certificate for localhost when <paramref name="server"/>.</summary>
    public X509Certificate2 Issue(string spiffeId, bool server = false) => Issue(spiffeId, server, authority: false, X509KeyUsageFlags.DigitalSignature, notBeforeFromNow: TimeSpan.FromMinutes(-1));

    /// <summary>
    /// Issues a certificate chaining to this CA that may break the X.509-SVID rules, for the negative tests: no URI SAN
    /// (<paramref name="spiffeId"/> <see langword="null"/>: a DNS name instead), a CA basic constraint, other key usages, a
    /// validity that starts later.
    /// </summary>
    public X509Certificate2 Issue(string? spiffeId, bool server, bool authority, X509KeyUsageFlags usage, TimeSpan notBeforeFromNow)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=svid", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        if (spiffeId is null)
        {
            names.AddDnsName("svid.example");
        }
        else
        {
            names.AddUri(new Uri(spiffeId));
        }

        if (server)
        {
            names.AddDnsName("localhost");
            names.AddIpAddress(IPAddress.Loopback);
        }

        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(authority, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(usage, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], false));
        var now = TimeProvider.System.GetUtcNow();
        var serial = BitConverter.GetBytes(Interlocked.Increment(ref _issued) + 1000L);
        using var issued = request.Create(_ca, now + notBeforeFromNow, now.AddHours(1), serial);
        return X509Certificate2.CreateFromPem(issued.ExportCertificatePem(), key.ExportPkcs8PrivateKeyPem());
    }

    /// <summary>Writes <paramref name="certificate"/> and its private key as PEM files; returns their paths.</summary>
    public (string CertificateFile, string KeyFile) Write(X509Certificate2 certificate, string name)
    {
        var certificateFile = Path.Combine(_directory, name + ".pem");
        var keyFile = Path.Combine(_directory, name + ".key");
        File.WriteAllText(certificateFile, certificate.ExportCertificatePem());
        File.WriteAllText(keyFile, certificate.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem());
        return (certificateFile, keyFile);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _ca.Dispose();
        _caKey.Dispose();
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }
}
