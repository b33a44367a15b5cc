using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using CredentialBroker.Abstractions.Identity;
using CredentialBroker.Core.Identity;
using CredentialBroker.Core.Tokens;

namespace CredentialBroker.Testing;

/// <summary>A trust domain for tests: a key that plays SPIRE, its bundle, and a bundle file on disk.</summary>
public sealed class TestTrustDomain : IDisposable
{
    private readonly string _directory;

    /// <summary>Creates a trust domain with a fresh ES256 key.</summary>
    public TestTrustDomain(string name = "test.example")
    {
        Minter = new JwtSvidMinter(name, SigningKey.Generate());
        _directory = Directory.CreateTempSubdirectory("cb-bundle-").FullName;
        BundlePath = Path.Combine(_directory, name + ".jwks.json");
        File.WriteAllText(BundlePath, Minter.BundleJson);
    }

    /// <summary>The trust domain name.</summary>
    public string Name => Minter.TrustDomain;

    /// <summary>Mints this domain's SVIDs.</summary>
    public JwtSvidMinter Minter { get; }

    /// <summary>The bundle, as a JWKS file.</summary>
    public string BundlePath { get; }

    /// <summary>The SPIFFE ID of <paramref name="path"/> in this domain.</summary>
    public string Id(string path) => $"spiffe://{Name}{path}";

    /// <summary>Mints an SVID for <paramref name="path"/> addressed to <paramref name="audience"/>, valid for an hour from <paramref name="now"/>.</summary>
    public string Svid(string path, string audience, DateTimeOffset now) => Minter.Mint(path, audience, now, TimeSpan.FromHours(1));

    /// <summary>An X.509-SVID-shaped client certificate for <paramref name="path"/> (self-signed: the TLS layer's chain check is not under test).</summary>
    public X509Certificate2 X509Svid(string path) => Certificate(Id(path));

    /// <summary>A self-signed certificate with a DNS SAN and the given URI SANs, valid for an hour.</summary>
    public static X509Certificate2 Certificate(params string[] uris)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=workload", key, HashAlgorithmName.SHA256);
        if (uris.Length > 0)
        {
            var names = new SubjectAlternativeNameBuilder();
            names.AddDnsName("workload.internal");
            foreach (var uri in uris)
            {
                names.AddUri(new Uri(uri));
            }

            request.CertificateExtensions.Add(names.Build());
        }

        var now = TimeProvider.System.GetUtcNow();
        return request.CreateSelfSigned(now.AddMinutes(-1), now.AddHours(1));
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }
}
