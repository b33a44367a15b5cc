using CredentialBroker.Abstractions.Identity;
using CredentialBroker.Core.Identity;

namespace CredentialBroker.Core.Tests.Identity;

public sealed class SpiffeIdPatternTests
{
    [TestCase("spiffe://corp.example/agents/", "spiffe://corp.example/agents/bot", true)]
    [TestCase("spiffe://corp.example/agents/", "spiffe://corp.example/agents-evil/bot", false)]
    [TestCase("spiffe://corp.example/agents/", "spiffe://corp.example/agents", false)]
    [TestCase("spiffe://corp.example/", "spiffe://corp.example/anything/below", true)]
    [TestCase("spiffe://corp.example/", "spiffe://corp.example.evil/x", false)]
    [TestCase("spiffe://corp.example/orchestrator", "spiffe://corp.example/orchestrator", true)]
    [TestCase("spiffe://corp.example/orchestrator", "spiffe://corp.example/orchestrator/sub", false)]
    public void Matches_prefix_and_exact_patterns(string pattern, string id, bool expected)
    {
        Assert.That(SpiffeIdPattern.TryParse(pattern, out var parsed, out var error), Is.True, error);
        Assert.That(parsed!.Matches(SpiffeId.Parse(id)), Is.EqualTo(expected));
    }

    [TestCase("spiffe://Corp.example/")]
    [TestCase("spiffe://corp.example/a//")]
    [TestCase("corp.example/")]
    [TestCase("*")]
    public void TryParse_rejects_invalid_patterns(string pattern) =>
        Assert.That(SpiffeIdPattern.TryParse(pattern, out _, out _), Is.False);
}
