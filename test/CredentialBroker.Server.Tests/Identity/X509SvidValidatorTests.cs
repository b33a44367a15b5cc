using System.Security.Cryptography.X509Certificates;
using CredentialBroker.Server.Identity;
using CredentialBroker.Testing;
using Microsoft.Extensions.Time.Testing;

namespace CredentialBroker.Server.Tests.Identity;

public sealed class X509SvidValidatorTests
{
    private static X509Certificate2Collection Bundle(TestPki pki) => [X509CertificateLoader.LoadCertificate(pki.Authority.RawData)];

    [Test]
    public void A_current_svid_chaining_to_its_own_domains_bundle_names_its_workload_and_nothing_else_passes()
    {
        using var corp = new TestPki("corp.example");
        using var partner = new TestPki("partner.example");
        var time = new FakeTimeProvider(TimeProvider.System.GetUtcNow());
        var validator = new X509SvidValidator(new Dictionary<string, X509Certificate2Collection>
        {
            ["corp.example"] = Bundle(corp),
            ["partner.example"] = Bundle(partner),
        }, time);
        using var valid = corp.Issue("spiffe://corp.example/soc");
        using var crossDomain = partner.Issue("spiffe://corp.example/soc");   // partner's authority vouching for a corp ID
        using var unknownDomain = corp.Issue("spiffe://elsewhere.example/soc");
        using var notSpiffe = TestTrustDomain.Certificate("https://corp.example/soc");
        using var twoIds = TestTrustDomain.Certificate("spiffe://corp.example/a", "spiffe://corp.example/b");

        var accepted = validator.Validate(valid);
        var rejected = new[] { crossDomain, unknownDomain, notSpiffe, twoIds, corp.Authority }.Select(validator.Validate).ToList();
        time.Advance(TimeSpan.FromHours(2)); // past the SVID's notAfter
        var expired = validator.Validate(valid);

        Assert.Multiple(() =>
        {
            Assert.That(validator.Enabled, Is.True);
            Assert.That(accepted?.Value, Is.EqualTo("spiffe://corp.example/soc"));
            Assert.That(rejected, Is.All.Null);
            Assert.That(expired, Is.Null);
        });
    }

    [Test]
    public void Leaves_that_are_authorities_may_sign_certificates_lack_a_spiffe_id_or_a_path_or_are_not_yet_valid_are_refused()
    {
        // SECURITY-TESTS #22: every certificate here chains to the trusted CA; only the rule it breaks differs from its twin.
        using var corp = new TestPki("corp.example");
        var time = new FakeTimeProvider(TimeProvider.System.GetUtcNow());
        var validator = new X509SvidValidator(new Dictionary<string, X509Certificate2Collection> { ["corp.example"] = Bundle(corp) }, time);
        const X509KeyUsageFlags Sign = X509KeyUsageFlags.DigitalSignature;
        var past = TimeSpan.FromMinutes(-1);
        using var twin = corp.Issue("spiffe://corp.example/soc", false, authority: false, Sign, past);
        X509Certificate2[] broken =
        [
            corp.Issue("spiffe://corp.example/soc", false, authority: true, Sign, past),
            corp.Issue("spiffe://corp.example/soc", false, authority: false, Sign | X509KeyUsageFlags.KeyCertSign, past),
            corp.Issue("spiffe://corp.example/soc", false, authority: false, Sign | X509KeyUsageFlags.CrlSign, past),
            corp.Issue(null, false, authority: false, Sign, past),
            corp.Issue("spiffe://corp.example", false, authority: false, Sign, past),
            corp.Issue("spiffe://corp.example/soc", false, authority: false, Sign, TimeSpan.FromMinutes(10)),
        ];

        var accepted = validator.Validate(twin);
        var rejected = broken.Select(validator.Validate).ToList();
        foreach (var certificate in broken)
        {
            certificate.Dispose();
        }

        Assert.Multiple(() =>
        {
            Assert.That(accepted?.Value, Is.EqualTo("spiffe://corp.example/soc"));
            Assert.That(rejected, Is.All.Null);
        });
    }
}
