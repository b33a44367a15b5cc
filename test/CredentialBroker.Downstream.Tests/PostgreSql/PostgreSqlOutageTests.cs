using CredentialBroker.Downstream.Providers;
using CredentialBroker.Testing;
using Npgsql;

namespace CredentialBroker.Downstream.Tests.PostgreSql;

/// <summary>The postgresql provider when the server goes away: each test stops and restarts a private server of its own.</summary>
public sealed class PostgreSqlOutageTests
{
    [Test]
    public async Task Issuing_against_a_stopped_server_fails_transiently_and_the_message_holds_no_secret()
    {
        await using var server = await PostgresServer.StartPrivateAsync();
        await using var scenario = await PostgreSqlScenario.CreateAsync(server);
        var provider = scenario.Provider();
        var plan = provider.Plan(Secrets.NewId(), Secrets.ExpiresAt());
        await server.StopAsync();

        var failure = await Assert.ThrowsAsync<DownstreamException>(async () => await provider.IssueAsync(plan, CancellationToken.None));

        var adminPassword = new NpgsqlConnectionStringBuilder(server.AdminConnectionString).Password!;
        var logged = string.Join("\n", scenario.Logs.GetSnapshot().Select(r => r.Message));
        Assert.Multiple(() =>
        {
            Assert.That(failure!.Transient, Is.True);
            Assert.That(scenario.Passwords.Made, Has.Count.EqualTo(1), "a password was made for the attempt");
            Assert.That(failure.Message, Does.Contain(plan.Username).And.Contain(plan.Id), "it says which secret");
            Assert.That(failure.Message, Does.Not.Contain(scenario.Passwords.Made[0]));
            Assert.That(failure.Message, Does.Not.Contain(adminPassword).And.Not.Contain(server.AdminConnectionString).And.Not.Contain("Password=").IgnoreCase);
            Assert.That(failure.ToString(), Does.Not.Contain(scenario.Passwords.Made[0]).And.Not.Contain(adminPassword));
            Assert.That(logged, Does.Contain(plan.Id));
            Assert.That(logged, Does.Not.Contain(scenario.Passwords.Made[0]).And.Not.Contain(adminPassword));
        });
    }

    [Test]
    public async Task A_revocation_cut_short_by_a_server_stop_fails_transiently_and_completes_after_the_restart()
    {
        await using var server = await PostgresServer.StartPrivateAsync();
        await using var scenario = await PostgreSqlScenario.CreateAsync(server);
        await server.ExecuteAsSuperuserAsync($"GRANT CREATE ON SCHEMA public TO {scenario.Reader}");
        var provider = scenario.Provider();
        var plan = provider.Plan(Secrets.NewId(), Secrets.ExpiresAt());
        var secret = await provider.IssueAsync(plan, CancellationToken.None);
        var owned = "owned_" + scenario.Table;
        await using (var session = await scenario.LogInAsync(secret))
        {
            await PostgreSqlScenario.ExecuteAsync(session, $"CREATE TABLE {owned} (id int)");
        }

        // A superuser holds a lock on the role's table, so the revocation waits inside DROP OWNED: the server is
        // stopped while the revocation is under way, after its first statements have committed.
        var locker = new NpgsqlConnection(server.SuperuserConnectionString());
        await locker.OpenAsync();
        await PostgreSqlScenario.ExecuteAsync(locker, $"BEGIN; LOCK TABLE {owned} IN ACCESS SHARE MODE");
        var revoking = provider.RevokeAsync(plan, CancellationToken.None).AsTask();
        await Poll.UntilAsync(async () => revoking.IsCompleted || (await server.QueryAsSuperuserAsync<long>(
                "SELECT count(*) FROM pg_stat_activity WHERE usename = $1 AND wait_event_type = 'Lock'", server.AdminRole))[0] > 0,
            TimeSpan.FromSeconds(20), "the revocation waits on the lock");
        Assert.That(revoking.IsCompleted, Is.False, "the revocation was waiting when the server stopped");
        await server.StopAsync();
        await locker.DisposeAsync();

        var failure = await Assert.ThrowsAsync<DownstreamException>(() => revoking);
        Assert.That(failure!.Transient, Is.True);

        await server.StartAsync();
        var halfway = await server.QueryAsSuperuserAsync<bool>("SELECT rolcanlogin FROM pg_roles WHERE rolname = $1", plan.Username!);
        await provider.RevokeAsync(plan, CancellationToken.None);

        Assert.Multiple(async () =>
        {
            Assert.That(halfway, Is.EqualTo(new[] { false }), "the role was already disabled when the server stopped");
            Assert.That(await scenario.RoleExistsAsync(plan.Username!), Is.False);
            Assert.That(await server.QueryAsSuperuserAsync<long>("SELECT count(*) FROM pg_tables WHERE tablename = $1", owned), Is.EqualTo(new[] { 0L }), "dropped with the role");
            Assert.That(await provider.VerifyRevokedAsync(plan, CancellationToken.None), Is.True);
        });
    }

    [Test]
    public async Task Verifying_against_a_stopped_server_fails_transiently_rather_than_answering()
    {
        await using var server = await PostgresServer.StartPrivateAsync();
        await using var scenario = await PostgreSqlScenario.CreateAsync(server);
        var provider = scenario.Provider();
        var plan = provider.Plan(Secrets.NewId(), Secrets.ExpiresAt());
        Assert.That(await provider.VerifyRevokedAsync(plan, CancellationToken.None), Is.True, "answers while the server runs");
        await server.StopAsync();

        var failure = await Assert.ThrowsAsync<DownstreamException>(async () => await provider.VerifyRevokedAsync(plan, CancellationToken.None));

        Assert.That(failure!.Transient, Is.True);
    }
}
