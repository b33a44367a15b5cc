using CredentialBroker.Abstractions.Identity;
using CredentialBroker.Core.Identity;

namespace CredentialBroker.Core.Tests.Identity;

public sealed class SpiffeIdTests
{
    [TestCase("spiffe://corp.example/agents/invoice-bot", "corp.example", "/agents/invoice-bot")]
    [TestCase("spiffe://dev.local/a", "dev.local", "/a")]
    [TestCase("spiffe://td_1-x.y/A.b-c_D/9", "td_1-x.y", "/A.b-c_D/9")]
    public void TryParse_accepts_valid_workload_ids(string value, string trustDomain, string path)
    {
        var ok = SpiffeId.TryParse(value, out var id, out var error);

        Assert.Multiple(() =>
        {
            Assert.That(ok, Is.True, error);
            Assert.That(id!.TrustDomain, Is.EqualTo(trustDomain));
            Assert.That(id.Path, Is.EqualTo(path));
            Assert.That(id.Value, Is.EqualTo(value));
        });
    }

    // SECURITY-TESTS #21: each of these is rejected; the valid twins above pass.
    [TestCase("spiffe://Corp.example/agent", TestName = "uppercase trust domain")]
    [TestCase("spiffe://corp.example:8443/agent", TestName = "port")]
    [TestCase("spiffe://user@corp.example/agent", TestName = "userinfo")]
    [TestCase("spiffe://corp.example/agent?x=1", TestName = "query")]
    [TestCase("spiffe://corp.example/agent#frag", TestName = "fragment")]
    [TestCase("spiffe://corp.example/a/../b", TestName = "dot-dot segment")]
    [TestCase("spiffe://corp.example/a/./b", TestName = "dot segment")]
    [TestCase("spiffe://corp.example/a//b", TestName = "empty segment")]
    [TestCase("spiffe://corp.example/agent/", TestName = "trailing slash")]
    [TestCase("spiffe://corp.example/a%2Fb", TestName = "percent-encoding")]
    [TestCase("https://corp.example/agent", TestName = "wrong scheme")]
    [TestCase("SPIFFE://corp.example/agent", TestName = "uppercase scheme")]
    [TestCase("spiffe://corp.example", TestName = "no path")]
    [TestCase("spiffe:///agent", TestName = "empty trust domain")]
    [TestCase("", TestName = "empty")]
    [TestCase("spiffe://corp.example/ag ent", TestName = "space")]
    [TestCase("spiffe://corp.example/agent\r\nX: y", TestName = "CRLF")]
    public void TryParse_rejects_invalid_ids(string value)
    {
        Assert.Multiple(() =>
        {
            Assert.That(SpiffeId.TryParse(value, out var id, out var error), Is.False);
            Assert.That(id, Is.Null);
            Assert.That(error, Is.Not.Empty);
        });
    }

    [Test]
    public void TryParse_rejects_ids_over_2048_bytes_and_accepts_2048()
    {
        var prefix = "spiffe://corp.example/";
        var atLimit = prefix + new string('a', SpiffeId.MaxLength - prefix.Length);
        var overLimit = atLimit + "a";

        Assert.Multiple(() =>
        {
            Assert.That(SpiffeId.TryParse(atLimit, out _, out _), Is.True);
            Assert.That(SpiffeId.TryParse(overLimit, out _, out _), Is.False);
        });
    }

    [Test]
    public void Equality_is_ordinal_on_the_whole_id()
    {
        var id = SpiffeId.Parse("spiffe://a.example/x");
        var same = SpiffeId.Parse("spiffe://a.example/" + "x");
        var differentCase = SpiffeId.Parse("spiffe://a.example/X");

        Assert.Multiple(() =>
        {
            Assert.That(id, Is.EqualTo(same));
            Assert.That(id, Is.Not.EqualTo(differentCase));
        });
    }
}
