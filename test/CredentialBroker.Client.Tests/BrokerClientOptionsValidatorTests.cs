using CredentialBroker.Client.Svids;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CredentialBroker.Client.Tests;

/// <summary>The client's options are checked at start, every problem reported at once.</summary>
public sealed class BrokerClientOptionsValidatorTests
{
    private static Action<BrokerClientOptions> Valid => o =>
    {
        o.BrokerUrl = new Uri("https://broker.corp.example");
        o.Svids.Directory = "/run/spiffe";
    };

    private static OptionsValidationException? Validate(Action<BrokerClientOptions> configure)
    {
        var services = new ServiceCollection();
        services.AddCredentialBrokerClient("agent", configure);
        using var provider = services.BuildServiceProvider();
        try
        {
            _ = provider.GetRequiredService<IOptionsMonitor<BrokerClientOptions>>().Get("agent");
            return null;
        }
        catch (OptionsValidationException ex)
        {
            return ex;
        }
    }

    [Test]
    public void Valid_options_pass()
    {
        Assert.That(Validate(Valid), Is.Null);
    }

    [Test]
    public void Every_problem_is_reported_at_once_naming_the_client()
    {
        var failure = Validate(o =>
        {
            o.BrokerUrl = new Uri("http://broker.corp.example");
            o.RenewBefore = TimeSpan.FromHours(1);
            o.ProgressInterval = TimeSpan.Zero;
            o.Svids = new SvidSourceOptions { Directory = "/run/spiffe", WorkloadApiSocket = "unix:///run/spire/agent.sock" };
        });

        Assert.Multiple(() =>
        {
            Assert.That(failure, Is.Not.Null);
            Assert.That(failure!.Failures, Has.Exactly(4).Items);
            Assert.That(failure.Failures, Has.All.StartWith("CredentialBroker client 'agent': "));
            Assert.That(failure.Failures, Has.One.Contains("BrokerUrl must be HTTPS"));
            Assert.That(failure.Failures, Has.One.Contains("RenewBefore"));
            Assert.That(failure.Failures, Has.One.Contains("ProgressInterval"));
            Assert.That(failure.Failures, Has.One.Contains("either files or WorkloadApiSocket"));
        });
    }

    [Test]
    public void A_plain_http_broker_passes_when_https_is_not_required()
    {
        Assert.That(Validate(o =>
        {
            Valid(o);
            o.BrokerUrl = new Uri("http://127.0.0.1:8080");
            o.RequireHttps = false;
        }), Is.Null);
    }
}
