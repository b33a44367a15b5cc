using CredentialBroker.Server.RateLimiting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CredentialBroker.Server.Tests.RateLimiting;

/// <summary>The rate limit settings: documented defaults that validate, and every bad setting reported at once at start.</summary>
public sealed class RateLimitOptionsTests
{
    [Test]
    public void The_defaults_are_valid_and_are_the_documented_ones()
    {
        var options = new RateLimitOptions();

        var result = new RateLimitOptionsValidator().Validate(null, options);

        Assert.Multiple(() =>
        {
            Assert.That(result.Succeeded, Is.True, result.FailureMessage);
            Assert.That((options.Issuance.TokenLimit, options.Issuance.TokensPerPeriod), Is.EqualTo((200, 100)));
            Assert.That((options.Exchange.TokenLimit, options.Exchange.TokensPerPeriod), Is.EqualTo((200, 100)));
            Assert.That((options.TaskExchange.TokenLimit, options.TaskExchange.TokensPerPeriod), Is.EqualTo((20, 10)));
            Assert.That((options.Introspection.TokenLimit, options.Introspection.TokensPerPeriod), Is.EqualTo((2000, 1000)));
            Assert.That((options.Revocation.TokenLimit, options.Revocation.TokensPerPeriod), Is.EqualTo((200, 100)));
            Assert.That((options.Transmitter.TokenLimit, options.Transmitter.TokensPerPeriod), Is.EqualTo((50, 10)));
            Assert.That(options.Exchange.ReplenishmentPeriod, Is.EqualTo(TimeSpan.FromSeconds(1)));
        });
    }

    [Test]
    public void Every_bad_setting_is_reported_at_once()
    {
        var options = new RateLimitOptions
        {
            Exchange = new() { TokenLimit = 0, TokensPerPeriod = 1 },
            TaskExchange = new() { TokenLimit = 5, TokensPerPeriod = 6 },
            Transmitter = new() { TokenLimit = 5, TokensPerPeriod = 1, ReplenishmentPeriod = TimeSpan.Zero },
            Revocation = null!,
        };

        var result = new RateLimitOptionsValidator().Validate(null, options);

        Assert.Multiple(() =>
        {
            Assert.That(result.Failed, Is.True);
            Assert.That(result.Failures, Has.Some.Contains("CredentialBroker:RateLimits:Exchange:TokenLimit is 0"));
            Assert.That(result.Failures, Has.Some.Contains("CredentialBroker:RateLimits:TaskExchange:TokensPerPeriod is 6"));
            Assert.That(result.Failures, Has.Some.Contains("CredentialBroker:RateLimits:Transmitter:ReplenishmentPeriod"));
            Assert.That(result.Failures, Has.Some.Contains("CredentialBroker:RateLimits:Revocation is required"));
            Assert.That(result.Failures?.Count(), Is.EqualTo(4));
        });
    }

    [Test]
    public void Bad_limits_in_configuration_fail_the_options_and_good_ones_bind()
    {
        static RateLimitOptions Bind(string tokenLimit)
        {
            var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["CredentialBroker:RateLimits:Introspection:TokenLimit"] = tokenLimit,
                ["CredentialBroker:RateLimits:Introspection:TokensPerPeriod"] = "1",
                ["CredentialBroker:RateLimits:Introspection:ReplenishmentPeriod"] = "00:00:05",
            }).Build();
            using var services = new ServiceCollection().AddBrokerRateLimits(configuration).BuildServiceProvider();
            return services.GetRequiredService<IOptions<RateLimitOptions>>().Value;
        }

        var failure = Assert.Throws<OptionsValidationException>(() => Bind("0"));
        var bound = Bind("7").Introspection;

        Assert.Multiple(() =>
        {
            Assert.That(failure!.Message, Does.Contain("CredentialBroker:RateLimits:Introspection:TokenLimit is 0"));
            Assert.That((bound.TokenLimit, bound.TokensPerPeriod, bound.ReplenishmentPeriod), Is.EqualTo((7, 1, TimeSpan.FromSeconds(5))));
        });
    }
}
