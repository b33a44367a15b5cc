using CredentialBroker.Testing;

namespace CredentialBroker.Server.Tests.Hosting;

/// <summary>The load harness runs in its smoke mode on every CI run, so it never rots. Nothing here is timed.</summary>
public sealed class LoadHarnessSmokeTests
{
    [Test]
    public async Task The_smoke_run_measures_every_scenario_and_prints_the_table()
    {
        var run = await ProcessRunner.RunAsync(ProcessRunner.DotnetHost, [Path.Combine(AppContext.BaseDirectory, "CredentialBroker.LoadHarness.dll"), "--smoke"]);

        Assert.Multiple(() =>
        {
            Assert.That(run.ExitCode, Is.Zero, run.StandardOutput + run.StandardError);
            Assert.That(run.StandardOutput, Does.Contain("| measurement | result |"));
            foreach (var row in new[]
                     {
                         "| floor: raw ES256 signing", "| comparator: bare endpoint", "| task-token issuance", "| token exchange, POST /oauth2/token",
                         "| task completion → introspection inactive", "| task completion → resource server refuses", "| TTL expiry → downstream revoked", "| bulk revocation of", "| … every one revoked downstream",
                         "| replica start → ready", "| Redis memory per live task",
                         "| downstream secret issue, PostgreSQL role", "| task completion → PostgreSQL role verified dead",
                         "| downstream secret issue, Redis ACL user", "| task completion → Redis ACL user verified dead",
                         "| **bulk revocation of 20 live PostgreSQL roles**", "| … status `completed`",
                     })
            {
                Assert.That(run.StandardOutput, Does.Contain(row), run.StandardOutput);
            }
        });
    }

    [Test]
    public async Task The_faults_smoke_run_keeps_the_load_served_through_a_frozen_redis_and_a_killed_replica_and_loses_nothing()
    {
        var run = await ProcessRunner.RunAsync(ProcessRunner.DotnetHost, [Path.Combine(AppContext.BaseDirectory, "CredentialBroker.LoadHarness.dll"), "faults", "--smoke"]);

        Assert.Multiple(() =>
        {
            Assert.That(run.ExitCode, Is.Zero, run.StandardOutput + run.StandardError);
            Assert.That(run.StandardOutput, Does.Contain("Redis frozen (SIGSTOP)"));
            Assert.That(run.StandardOutput, Does.Contain("one broker replica killed (SIGKILL)"));
            Assert.That(run.StandardOutput, Does.Contain("tasks lost 0, completions lost 0, access tokens of completed tasks still active 0"), run.StandardOutput);
        });
    }
}
