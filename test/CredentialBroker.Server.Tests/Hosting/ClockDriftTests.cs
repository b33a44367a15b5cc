using System.Diagnostics.Metrics;
using CredentialBroker.Abstractions;
using CredentialBroker.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace CredentialBroker.Server.Tests.Hosting;

/// <summary>
/// The alarm on clock drift (catalogue F10): a replica compares its clock with Redis's (<c>TIME</c>) every
/// <c>Health:ClockDriftCheckInterval</c> (30 s, on the broker's clock here). In step, it measures a drift near zero and
/// raises nothing; 90 s ahead of Redis — as a replica with a broken time synchronisation would be — it logs the warning
/// 1620 and reports the drift as <c>credentialbroker.clock.drift</c>.
/// </summary>
public sealed class ClockDriftTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Test]
    public async Task A_replica_90_s_ahead_of_redis_raises_the_alarm_and_one_in_step_does_not()
    {
        await using var app = BrokerApp.Redis();
        _ = app.Server; // starts the host: the first comparison runs at once, in step
        using var drift = new MetricCollector<double>(app.Services.GetRequiredService<IMeterFactory>(), BrokerTelemetry.Name, "credentialbroker.clock.drift");

        double? Measured()
        {
            drift.RecordObservableInstruments();
            return drift.LastMeasurement?.Value;
        }

        await Poll.UntilAsync(() => Task.FromResult(Measured() is not null), Patience, "the replica compares its clock with Redis's at start");
        var inStep = Measured()!.Value;
        var alarmsInStep = app.Logs.GetSnapshot().Count(r => r.Id.Id == 1620);

        app.Time.Advance(TimeSpan.FromSeconds(90)); // this replica's clock now runs 90 s ahead of Redis's; a check falls due
        await Poll.UntilAsync(() => Task.FromResult(app.Logs.GetSnapshot().Any(r => r.Id.Id == 1620)), Patience, "the replica raises the drift alarm (event 1620)");
        var ahead = Measured()!.Value;

        Assert.Multiple(() =>
        {
            Assert.That(inStep, Is.InRange(-5, 5), "in step: the fake clock started at Redis's now");
            Assert.That(alarmsInStep, Is.Zero);
            Assert.That(ahead, Is.InRange(85, 95));
            Assert.That(app.Logs.GetSnapshot().First(r => r.Id.Id == 1620).Level, Is.EqualTo(Microsoft.Extensions.Logging.LogLevel.Warning));
        });
    }
}
