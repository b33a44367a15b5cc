using CredentialBroker.Server.Soc;

namespace CredentialBroker.Server.Tests.Soc;

/// <summary>The transmitter's options: the defaults pass, and every bad value is reported at once.</summary>
public sealed class SsfTransmitOptionsValidatorTests
{
    [Test]
    public void The_defaults_are_valid()
    {
        var result = new SsfTransmitOptionsValidator().Validate(null, new SsfTransmitOptions());

        Assert.That(result.Succeeded, Is.True, result.FailureMessage);
    }

    [Test]
    public void Every_bad_value_is_reported_at_once()
    {
        var result = new SsfTransmitOptionsValidator().Validate(null, new SsfTransmitOptions
        {
            DeliveryInterval = TimeSpan.Zero,
            RetryInitialDelay = TimeSpan.FromMinutes(10),
            RetryMaxDelay = TimeSpan.FromMinutes(1),
            PushTimeout = TimeSpan.FromSeconds(-1),
            PushBatchSize = 0,
            MaxPollEvents = 20_000,
            MaxStreams = 0,
            MaxPendingEvents = 0,
        });

        Assert.Multiple(() =>
        {
            Assert.That(result.Failed, Is.True);
            Assert.That(result.Failures!.Count(), Is.EqualTo(7));
            Assert.That(result.FailureMessage, Does.Contain("CredentialBroker:SsfTransmitter:DeliveryInterval")
                .And.Contain("RetryMaxDelay").And.Contain("PushTimeout").And.Contain("PushBatchSize").And.Contain("MaxPollEvents").And.Contain("MaxStreams").And.Contain("MaxPendingEvents"));
        });
    }
}
