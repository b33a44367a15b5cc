using System.Collections;
using System.Reflection;
using System.Security.Cryptography;
using Npgsql;

namespace CredentialBroker.Downstream.Tests.PostgreSql;

/// <summary>
/// What the verification probe leaves in the broker's process. Each probe logs in as a different role with a fresh
/// password, so nothing Npgsql keeps per connection string may outlive it: a data source left behind per verification
/// is a leak, and Npgsql sorts its list of live data sources under a global lock each time it registers one, so every
/// later revocation got slower (the load harness's bulk revocation of 10,000 roles, docs/benchmarks.md). Npgsql's
/// registry is process-wide, so this fixture runs alone.
/// </summary>
[NonParallelizable]
public sealed class PostgreSqlProbeTests : IAsyncDisposable
{
    private PostgreSqlScenario _scenario = null!;

    [SetUp]
    public async Task CreateScenarioAsync() => _scenario = await PostgreSqlScenario.CreateAsync(DownstreamFixture.Postgres);

    public async ValueTask DisposeAsync()
    {
        if (_scenario is not null)
        {
            await _scenario.DisposeAsync();
        }
    }

    [Test]
    public async Task Verifying_revocations_leaves_no_data_source_behind()
    {
        var provider = _scenario.Provider();
        var plans = Enumerable.Range(0, 5).Select(_ => provider.Plan(Secrets.NewId(), Secrets.ExpiresAt())).ToList();
        foreach (var plan in plans)
        {
            await provider.IssueAsync(plan, CancellationToken.None);
            await provider.RevokeAsync(plan, CancellationToken.None);
        }

        var before = LiveDataSources();
        var verified = new List<bool>();
        foreach (var plan in plans)
        {
            verified.Add(await provider.VerifyRevokedAsync(plan, CancellationToken.None));
        }

        var after = LiveDataSources();
        Assert.Multiple(() =>
        {
            Assert.That(verified, Is.All.True, "each probe's login was refused");
            Assert.That(after, Is.EqualTo(before), "no data source outlives its probe");
        });
    }

    [Test]
    public async Task A_connection_made_from_a_new_connection_string_leaves_a_data_source_behind()
    {
        // The positive twin: the count sees what the probe used to leave behind (a login refused as the probe's is).
        var login = new NpgsqlConnectionStringBuilder(_scenario.Server.AdminConnectionString)
        {
            Username = "cb_" + RandomNumberGenerator.GetString("abcdefghijklmnopqrstuvwxyz234567", 24),
            Password = RandomNumberGenerator.GetHexString(32),
        };
        var before = LiveDataSources();
        PostgresException? refused;
        await using (var connection = new NpgsqlConnection(login.ConnectionString))
        {
            refused = await Assert.ThrowsAsync<PostgresException>(() => connection.OpenAsync());
        }

        var after = LiveDataSources();
        Assert.Multiple(() =>
        {
            Assert.That(refused!.SqlState, Does.StartWith("28"));
            Assert.That(after, Is.EqualTo(before + 1));
        });
    }

    /// <summary>
    /// Npgsql's live data sources: the list its metrics keep of every data source not yet disposed (internal; should a new
    /// Npgsql rename it, this fails here, loudly, rather than passing).
    /// </summary>
    private static int LiveDataSources()
    {
        var reporter = typeof(NpgsqlDataSource).Assembly.GetType("Npgsql.MetricsReporter", throwOnError: true)!;
        var field = reporter.GetField("Reporters", BindingFlags.Static | BindingFlags.NonPublic)
            ?? throw new InvalidOperationException("Npgsql.MetricsReporter.Reporters is gone: find another count of live data sources.");
        var reporters = (ICollection)field.GetValue(null)!;
        lock (reporters)
        {
            return reporters.Count;
        }
    }
}
