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
}
