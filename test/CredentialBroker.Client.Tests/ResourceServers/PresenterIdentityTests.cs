using System.Security.Cryptography.X509Certificates;
using CredentialBroker.Client.ResourceServers;
using CredentialBroker.Testing;
using Microsoft.AspNetCore.Http;

namespace CredentialBroker.Client.Tests.ResourceServers;

/// <summary>The presenter's SPIFFE ID comes from the one URI SAN of its X.509-SVID, or there is none.</summary>
public sealed class PresenterIdentityTests
{
    private static DefaultHttpContext With(X509Certificate2? certificate) => new() { Connection = { ClientCertificate = certificate } };

    [Test]
    public void A_client_certificate_with_one_spiffe_uri_names_the_presenter()
    {
        using var certificate = TestTrustDomain.Certificate("spiffe://corp.example/agents/invoice-bot");

        Assert.That(PresenterIdentity.FromClientCertificate(With(certificate)), Is.EqualTo("spiffe://corp.example/agents/invoice-bot"));
    }

    [Test]
    public void No_certificate_no_uri_two_uris_or_another_scheme_name_nobody()
    {
        using var none = TestTrustDomain.Certificate();
        using var two = TestTrustDomain.Certificate("spiffe://corp.example/a", "spiffe://corp.example/b");
        using var https = TestTrustDomain.Certificate("https://corp.example/a");

        Assert.Multiple(() =>
        {
            Assert.That(PresenterIdentity.FromClientCertificate(With(null)), Is.Null);
            Assert.That(PresenterIdentity.FromClientCertificate(With(none)), Is.Null);
            Assert.That(PresenterIdentity.FromClientCertificate(With(two)), Is.Null);
            Assert.That(PresenterIdentity.FromClientCertificate(With(https)), Is.Null);
        });
    }
}
