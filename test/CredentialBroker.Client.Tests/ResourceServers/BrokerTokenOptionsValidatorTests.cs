using CredentialBroker.Client.ResourceServers;

namespace CredentialBroker.Client.Tests.ResourceServers;

/// <summary>Resource-server options are checked at start, every problem reported at once.</summary>
public sealed class BrokerTokenOptionsValidatorTests
{
    private static BrokerTokenOptions Valid() => new()
    {
        Issuer = "https://broker.corp.example",
        Audience = "postgres://payments",
        CallerToken = _ => ValueTask.FromResult("svid"),
    };

    [Test]
    public void Complete_options_pass()
    {
        Assert.That(new BrokerTokenOptionsValidator().Validate("CredentialBroker", Valid()).Succeeded, Is.True);
    }

    [Test]
    public void Every_problem_is_reported_at_once()
    {
        var options = new BrokerTokenOptions { Issuer = "http://broker.corp.example", ClockSkew = TimeSpan.FromMinutes(5), FeedStaleAfter = TimeSpan.Zero };

        var result = new BrokerTokenOptionsValidator().Validate("CredentialBroker", options);

        Assert.Multiple(() =>
        {
            Assert.That(result.Failed, Is.True);
            Assert.That(result.Failures!.Count(), Is.EqualTo(5));
            Assert.That(result.FailureMessage, Does.Contain("HTTPS").And.Contain("Audience").And.Contain("CallerToken").And.Contain("ClockSkew").And.Contain("FeedStaleAfter"));
        });
    }

    [Test]
    public void Plain_http_is_allowed_only_when_https_is_not_required()
    {
        var options = Valid();
        options.Issuer = "http://127.0.0.1:8080";
        options.RequireHttps = false;

        Assert.That(new BrokerTokenOptionsValidator().Validate("CredentialBroker", options).Succeeded, Is.True);
    }

    [Test]
    public void Dpop_proofs_accept_only_asymmetric_algorithms_and_a_bounded_age_and_valid_choices_pass()
    {
        var broken = Valid();
        broken.DpopAlgorithms.Add("HS256");
        broken.DpopAlgorithms.Add("none");
        broken.DpopProofMaxAge = TimeSpan.FromHours(1);
        var valid = Valid();
        valid.DpopAlgorithms.Add("PS256");
        valid.DpopProofMaxAge = TimeSpan.FromSeconds(30);

        var refused = new BrokerTokenOptionsValidator().Validate("CredentialBroker", broken);
        var accepted = new BrokerTokenOptionsValidator().Validate("CredentialBroker", valid);

        Assert.Multiple(() =>
        {
            Assert.That(refused.Failures, Has.Exactly(3).Items);
            Assert.That(refused.FailureMessage, Does.Contain("'HS256'").And.Contain("'none'").And.Contain("DpopProofMaxAge"));
            Assert.That(accepted.Succeeded, Is.True, accepted.FailureMessage);
        });
    }
}
