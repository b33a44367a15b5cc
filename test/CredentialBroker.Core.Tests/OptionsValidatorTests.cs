using CredentialBroker.Abstractions;
using Microsoft.Extensions.Options;

namespace CredentialBroker.Core.Tests;

public sealed class OptionsValidatorTests
{
    private static ValidateOptionsResult Validate(CredentialBrokerOptions options) => new CredentialBrokerOptionsValidator().Validate(null, options);

    [Test]
    public void Defaults_with_an_issuer_are_valid() => Assert.That(Validate(new CredentialBrokerOptions { Issuer = "https://broker.example" }).Succeeded, Is.True);

    [TestCase(0, false)]
    [TestCase(11, false)]
    [TestCase(2, true)]
    [TestCase(10, true)]
    public void Transaction_tokens_live_minutes_at_most(int minutes, bool valid)
    {
        var options = new CredentialBrokerOptions { Issuer = "https://broker.example" };
        options.TransactionTokens.MaxTtl = TimeSpan.FromMinutes(minutes);

        var result = Validate(options);

        Assert.Multiple(() =>
        {
            Assert.That(result.Succeeded, Is.EqualTo(valid));
            Assert.That(result.Failures ?? [], valid ? Is.Empty : Has.Some.Contains("TransactionTokens:MaxTtl"));
        });
    }

    [TestCase("corp example", false)]
    [TestCase("", false)]
    [TestCase("corp.example", true)]
    public void A_transaction_token_trust_domain_is_one_name(string trustDomain, bool valid)
    {
        var options = new CredentialBrokerOptions { Issuer = "https://broker.example" };
        options.TransactionTokens.TrustDomain = trustDomain;

        Assert.That(Validate(options).Succeeded, Is.EqualTo(valid));
    }

    [TestCase(0.5, 300, "StatusListTimeToLive")]
    [TestCase(7200, 7200, "StatusListTimeToLive")]
    [TestCase(60, 30, "StatusListLifetime")]
    [TestCase(30, 90000, "StatusListLifetime")]
    public void Status_list_times_out_of_bounds_are_refused(double ttlSeconds, double lifetimeSeconds, string named)
    {
        var result = Validate(new CredentialBrokerOptions
        {
            Issuer = "https://broker.example", StatusListTimeToLive = TimeSpan.FromSeconds(ttlSeconds), StatusListLifetime = TimeSpan.FromSeconds(lifetimeSeconds),
        });

        Assert.That(result.Failures, Has.Some.Contains(named));
    }

    [TestCase(1, 1)]
    [TestCase(3600, 86400)]
    public void Status_list_times_within_bounds_are_valid(double ttlSeconds, double lifetimeSeconds) =>
        Assert.That(Validate(new CredentialBrokerOptions
        {
            Issuer = "https://broker.example", StatusListTimeToLive = TimeSpan.FromSeconds(ttlSeconds), StatusListLifetime = TimeSpan.FromSeconds(lifetimeSeconds),
        }).Succeeded, Is.True);

    [Test]
    public void Every_problem_is_reported_at_once()
    {
        var options = new CredentialBrokerOptions
        {
            Issuer = "https://broker.example/",
            ClockSkew = TimeSpan.FromSeconds(90),
            MinTaskTtl = TimeSpan.FromMinutes(20),
            MaxDelegationDepth = 99,
        };
        options.AllowedAlgorithms.Add("none");
        options.Roles.Soc.Add("spiffe://Corp.example/soc");
        options.TrustBundles["Bad Domain"] = "";
        options.SigningKeys.Add(new SigningKeyOptions());

        var result = Validate(options);

        Assert.Multiple(() =>
        {
            Assert.That(result.Failed, Is.True);
            Assert.That(result.Failures, Has.Some.Contains("Issuer"));
            Assert.That(result.Failures, Has.Some.Contains("ClockSkew"));
            Assert.That(result.Failures, Has.Some.Contains("MaxTaskTtl"));
            Assert.That(result.Failures, Has.Some.Contains("MaxDelegationDepth"));
            Assert.That(result.Failures, Has.Some.Contains("AllowedAlgorithms"));
            Assert.That(result.Failures, Has.Some.Contains("Roles:Soc"));
            Assert.That(result.Failures, Has.Some.Contains("TrustBundles:Bad Domain"));
            Assert.That(result.Failures, Has.Some.Contains("SigningKeys:0:Path"));
        });
    }

    [Test]
    public void A_missing_issuer_is_reported() =>
        Assert.That(Validate(new CredentialBrokerOptions()).Failures, Has.Some.Contains("Issuer is required"));

    [Test]
    public void Dpop_settings_out_of_bounds_are_each_reported_and_valid_ones_pass()
    {
        var broken = new CredentialBrokerOptions { Issuer = "https://broker.example" };
        broken.Dpop.Algorithms.Add("HS256");
        broken.Dpop.MaxProofAge = TimeSpan.FromHours(1);
        broken.Dpop.ClockSkew = TimeSpan.FromMinutes(2);
        broken.Dpop.NonceLifetime = TimeSpan.FromSeconds(1);
        var valid = new CredentialBrokerOptions { Issuer = "https://broker.example" };
        valid.Dpop.Algorithms.Add("ES256");
        valid.Dpop.Algorithms.Add("PS256");
        valid.Dpop.MaxProofAge = TimeSpan.FromSeconds(30);
        valid.Dpop.RequireNonce = true;

        var refused = Validate(broken);
        var accepted = Validate(valid);

        Assert.Multiple(() =>
        {
            Assert.That(refused.Failures, Has.Exactly(4).Items);
            Assert.That(refused.Failures, Has.Some.Contains("Dpop:Algorithms holds 'HS256'"));
            Assert.That(refused.Failures, Has.Some.Contains("Dpop:MaxProofAge"));
            Assert.That(refused.Failures, Has.Some.Contains("Dpop:ClockSkew"));
            Assert.That(refused.Failures, Has.Some.Contains("Dpop:NonceLifetime"));
            Assert.That(accepted.Succeeded, Is.True, accepted.FailureMessage);
            Assert.That(valid.Dpop.EffectiveAlgorithms, Is.EqualTo(new[] { "ES256", "PS256" }));
            Assert.That(new DpopOptions().EffectiveAlgorithms, Is.EqualTo(new[] { "ES256" }));
        });
    }
}
