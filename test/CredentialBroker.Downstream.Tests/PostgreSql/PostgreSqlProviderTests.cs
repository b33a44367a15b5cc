using System.Text.RegularExpressions;
using CredentialBroker.Downstream.Providers;
using Npgsql;

namespace CredentialBroker.Downstream.Tests.PostgreSql;

/// <summary>The postgresql provider against a real server, with the broker's least-privilege admin role (LOGIN CREATEROLE).</summary>
public sealed class PostgreSqlProviderTests : IAsyncDisposable
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
    public async Task An_issued_role_logs_in_and_reads_what_its_member_role_may_read_but_cannot_write()
    {
        var provider = _scenario.Provider();
        var plan = provider.Plan(Secrets.NewId(), Secrets.ExpiresAt());

        var secret = await provider.IssueAsync(plan, CancellationToken.None);
        await using var session = await _scenario.LogInAsync(secret);
        var rows = await PostgreSqlScenario.CountAsync(session, _scenario.Table);
        var write = await Assert.ThrowsAsync<PostgresException>(() => PostgreSqlScenario.ExecuteAsync(session, $"INSERT INTO {_scenario.Table} VALUES (3)"));

        Assert.Multiple(() =>
        {
            Assert.That(rows, Is.EqualTo(2));
            Assert.That(write!.SqlState, Is.EqualTo(PostgresErrorCodes.InsufficientPrivilege));
            Assert.That(secret.Handle, Is.EqualTo(plan));
            Assert.That(secret.Fields["host"], Is.EqualTo(_scenario.Server.Host));
            Assert.That(secret.Fields["port"], Is.EqualTo(_scenario.Server.Port));
            Assert.That(secret.Fields["database"], Is.EqualTo(_scenario.Server.Database));
            Assert.That(secret.Fields["username"], Is.EqualTo(plan.Username));
            Assert.That(secret.Fields["password"], Is.EqualTo(secret.Secret));
            Assert.That(secret.Secret, Has.Length.GreaterThanOrEqualTo(32).And.Match("^[A-Za-z0-9]+$"));
        });
    }

    [Test]
    public async Task Revocation_refuses_new_logins_with_the_same_password_and_cuts_an_open_session()
    {
        var provider = _scenario.Provider();
        var plan = provider.Plan(Secrets.NewId(), Secrets.ExpiresAt());
        var secret = await provider.IssueAsync(plan, CancellationToken.None);
        await using var open = await _scenario.LogInAsync(secret);
        Assert.That(await PostgreSqlScenario.CountAsync(open, _scenario.Table), Is.EqualTo(2), "the session works before revocation");

        await provider.RevokeAsync(plan, CancellationToken.None);

        var login = await Assert.ThrowsAsync<PostgresException>(() => _scenario.LogInAsync(secret));
        var cut = await Assert.CatchAsync<NpgsqlException>(() => PostgreSqlScenario.CountAsync(open, _scenario.Table));
        Assert.Multiple(async () =>
        {
            Assert.That(login!.SqlState, Does.StartWith("28"), "an authentication refusal");
            Assert.That(cut, Is.Not.Null, "the open session's next query fails");
            Assert.That(await _scenario.RoleExistsAsync(plan.Username!), Is.False);
            Assert.That(await provider.VerifyRevokedAsync(plan, CancellationToken.None), Is.True);
        });
    }

    [Test]
    public async Task VerifyRevoked_is_false_while_the_role_works_and_true_once_revoked()
    {
        var provider = _scenario.Provider();
        var plan = provider.Plan(Secrets.NewId(), Secrets.ExpiresAt());
        await provider.IssueAsync(plan, CancellationToken.None);

        var before = await provider.VerifyRevokedAsync(plan, CancellationToken.None);
        await provider.RevokeAsync(plan, CancellationToken.None);
        var after = await provider.VerifyRevokedAsync(plan, CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(before, Is.False);
            Assert.That(after, Is.True);
        });
    }

    [Test]
    public async Task VerifyRevoked_is_false_while_a_disabled_role_still_exists_with_an_open_session()
    {
        // New logins are refused (NOLOGIN), yet the role and its session live on: not revoked.
        var provider = _scenario.Provider();
        var plan = provider.Plan(Secrets.NewId(), Secrets.ExpiresAt());
        var secret = await provider.IssueAsync(plan, CancellationToken.None);
        await using var open = await _scenario.LogInAsync(secret);
        await _scenario.Server.ExecuteAsSuperuserAsync($"ALTER ROLE \"{plan.Username}\" NOLOGIN");

        Assert.That(await provider.VerifyRevokedAsync(plan, CancellationToken.None), Is.False, "a session is open");
        await provider.RevokeAsync(plan, CancellationToken.None);
        Assert.That(await provider.VerifyRevokedAsync(plan, CancellationToken.None), Is.True);
    }

    [Test]
    public async Task Revoking_twice_is_harmless()
    {
        var provider = _scenario.Provider();
        var plan = provider.Plan(Secrets.NewId(), Secrets.ExpiresAt());
        await provider.IssueAsync(plan, CancellationToken.None);

        await provider.RevokeAsync(plan, CancellationToken.None);
        await Assert.DoesNotThrowAsync(async () => await provider.RevokeAsync(plan, CancellationToken.None));
        Assert.That(await provider.VerifyRevokedAsync(plan, CancellationToken.None), Is.True);
    }

    [Test]
    public async Task Revoking_a_plan_that_was_never_issued_is_harmless()
    {
        var provider = _scenario.Provider();
        var plan = provider.Plan(Secrets.NewId(), Secrets.ExpiresAt());

        await Assert.DoesNotThrowAsync(async () => await provider.RevokeAsync(plan, CancellationToken.None));
        Assert.That(await provider.VerifyRevokedAsync(plan, CancellationToken.None), Is.True);
    }

    [Test]
    public async Task Revocation_drops_what_the_role_created_in_every_database_and_the_role()
    {
        var other = "other_" + _scenario.Table;
        await _scenario.Server.ExecuteAsSuperuserAsync($"GRANT CREATE ON SCHEMA public TO {_scenario.Reader}");
        await _scenario.Server.ExecuteAsSuperuserAsync($"CREATE DATABASE {other}");
        try
        {
            await _scenario.Server.ExecuteAsSuperuserAsync($"GRANT CREATE ON SCHEMA public TO {_scenario.Reader}", other);
            var provider = _scenario.Provider();
            var plan = provider.Plan(Secrets.NewId(), Secrets.ExpiresAt());
            var secret = await provider.IssueAsync(plan, CancellationToken.None);
            await using (var session = await _scenario.LogInAsync(secret))
            {
                await PostgreSqlScenario.ExecuteAsync(session, $"CREATE TABLE made_{_scenario.Table} (id int); INSERT INTO made_{_scenario.Table} VALUES (7)");
            }

            var madeBefore = await _scenario.Server.QueryAsSuperuserAsync<long>("SELECT count(*) FROM pg_tables WHERE tablename = $1", "made_" + _scenario.Table);

            var elsewhere = new NpgsqlConnectionStringBuilder(_scenario.Server.LoginConnectionString(plan.Username!, secret.Secret)) { Database = other };
            await using (var session = new NpgsqlConnection(elsewhere.ConnectionString))
            {
                await session.OpenAsync();
                await PostgreSqlScenario.ExecuteAsync(session, "CREATE TABLE made_there (id int)");
            }

            await provider.RevokeAsync(plan, CancellationToken.None);

            var madeAfter = await _scenario.Server.QueryAsSuperuserAsync<long>("SELECT count(*) FROM pg_tables WHERE tablename = $1", "made_" + _scenario.Table);
            await using var there = new NpgsqlConnection(_scenario.Server.SuperuserConnectionString(other));
            await there.OpenAsync();
            var madeThere = (long)(await new NpgsqlCommand("SELECT count(*) FROM pg_tables WHERE tablename = 'made_there'", there).ExecuteScalarAsync())!;
            Assert.Multiple(async () =>
            {
                Assert.That(madeBefore, Is.EqualTo(new[] { 1L }), "the role's table existed");
                Assert.That(madeAfter, Is.EqualTo(new[] { 0L }), "dropped with the role, not handed to the admin role");
                Assert.That(madeThere, Is.Zero, "dropped in the other database too");
                Assert.That(await _scenario.RoleExistsAsync(plan.Username!), Is.False);
                Assert.That(await provider.VerifyRevokedAsync(plan, CancellationToken.None), Is.True);
            });
        }
        finally
        {
            await _scenario.Server.ExecuteAsSuperuserAsync($"DROP DATABASE {other} WITH (FORCE)");
            await _scenario.Server.ExecuteAsSuperuserAsync($"DROP TABLE IF EXISTS made_{_scenario.Table}");
        }
    }

    [Test]
    public async Task A_security_definer_function_left_by_an_agent_dies_with_its_role_and_never_runs_as_the_admin()
    {
        await _scenario.Server.ExecuteAsSuperuserAsync($"GRANT CREATE ON SCHEMA public TO {_scenario.Reader}");
        var provider = _scenario.Provider();
        var plan = provider.Plan(Secrets.NewId(), Secrets.ExpiresAt());
        var secret = await provider.IssueAsync(plan, CancellationToken.None);
        var function = "whoami_" + _scenario.Table;
        await using (var session = await _scenario.LogInAsync(secret))
        {
            await PostgreSqlScenario.ExecuteAsync(session, $"CREATE FUNCTION {function}() RETURNS text LANGUAGE sql SECURITY DEFINER AS 'SELECT current_user::text'");
        }

        var later = provider.Plan(Secrets.NewId(), Secrets.ExpiresAt());
        var laterSecret = await provider.IssueAsync(later, CancellationToken.None);
        string ranAsBefore;
        await using (var session = await _scenario.LogInAsync(laterSecret))
        {
            ranAsBefore = (string)(await new NpgsqlCommand($"SELECT {function}()", session).ExecuteScalarAsync())!;
        }

        await provider.RevokeAsync(plan, CancellationToken.None);

        await using var afterwards = await _scenario.LogInAsync(laterSecret);
        var call = await Assert.ThrowsAsync<PostgresException>(async () => await new NpgsqlCommand($"SELECT {function}()", afterwards).ExecuteScalarAsync());
        Assert.Multiple(() =>
        {
            Assert.That(ranAsBefore, Is.EqualTo(plan.Username), "while the agent's role lives, its function runs as that role");
            Assert.That(call!.SqlState, Is.EqualTo(PostgresErrorCodes.UndefinedFunction), "after the revocation no one can call it, as the admin role or anyone");
        });
        await provider.RevokeAsync(later, CancellationToken.None);
    }

    [Test]
    public async Task The_role_is_valid_until_the_plans_expiry()
    {
        var provider = _scenario.Provider();
        var expiresAt = Secrets.ExpiresAt(minutes: 7);
        var plan = provider.Plan(Secrets.NewId(), expiresAt);

        await provider.IssueAsync(plan, CancellationToken.None);

        var validUntil = await _scenario.Server.QueryAsSuperuserAsync<DateTime>(
            "SELECT rolvaliduntil FROM pg_roles WHERE rolname = $1", plan.Username!);
        Assert.That(validUntil.Single(), Is.EqualTo(expiresAt.UtcDateTime));
    }

    [Test]
    public async Task The_role_is_a_member_of_exactly_the_configured_roles()
    {
        var second = "writer_" + _scenario.Table;
        await _scenario.CreateRoleAsync(second);
        var provider = _scenario.Provider(_scenario.Reader, second);
        var bare = _scenario.Provider(_scenario.Reader);
        var plan = provider.Plan(Secrets.NewId(), Secrets.ExpiresAt());
        var barePlan = bare.Plan(Secrets.NewId(), Secrets.ExpiresAt());

        await provider.IssueAsync(plan, CancellationToken.None);
        await bare.IssueAsync(barePlan, CancellationToken.None);

        const string memberOf = """
            SELECT r.rolname FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid JOIN pg_roles u ON u.oid = m.member
            WHERE u.rolname = $1 ORDER BY 1
            """;
        var attributes = await _scenario.Server.QueryAsSuperuserAsync<bool>(
            "SELECT rolsuper OR rolcreaterole OR rolcreatedb OR rolreplication OR rolbypassrls FROM pg_roles WHERE rolname = $1", plan.Username!);
        Assert.Multiple(async () =>
        {
            Assert.That(await _scenario.Server.QueryAsSuperuserAsync<string>(memberOf, plan.Username!), Is.EqualTo(new[] { _scenario.Reader, second }.Order()));
            Assert.That(await _scenario.Server.QueryAsSuperuserAsync<string>(memberOf, barePlan.Username!), Is.EqualTo(new[] { _scenario.Reader }));
            Assert.That(attributes, Is.EqualTo(new[] { false }), "no attribute beyond LOGIN");
        });
    }

    [Test]
    public void Generated_role_names_match_the_pattern_and_differ_each_time()
    {
        var provider = _scenario.Provider();

        var names = Enumerable.Range(0, 200).Select(_ => provider.Plan(Secrets.NewId(), Secrets.ExpiresAt()).Username!).ToList();

        Assert.Multiple(() =>
        {
            Assert.That(names, Is.All.Match(new Regex("^cb_[a-z2-7]{24}$")));
            Assert.That(names, Is.Unique);
        });
    }

    [Test]
    public async Task Passwords_never_appear_in_logs()
    {
        var provider = _scenario.Provider();
        var plan = provider.Plan(Secrets.NewId(), Secrets.ExpiresAt());

        var secret = await provider.IssueAsync(plan, CancellationToken.None);
        await provider.RevokeAsync(plan, CancellationToken.None);
        await provider.VerifyRevokedAsync(plan, CancellationToken.None);

        var logged = string.Join("\n", _scenario.Logs.GetSnapshot().Select(r => r.Message + r.Exception));
        Assert.Multiple(() =>
        {
            Assert.That(logged, Does.Contain(plan.Username), "the role name is logged");
            Assert.That(logged, Does.Not.Contain(secret.Secret));
            Assert.That(_scenario.Passwords.Made, Has.Count.EqualTo(1));
        });
    }

    [Test]
    public async Task A_record_naming_a_role_the_provider_did_not_generate_is_refused_and_the_role_left_alone()
    {
        var provider = _scenario.Provider();
        var forged = new SecretHandle(Secrets.NewId(), "payments", _scenario.Server.AdminRole, null, Secrets.ExpiresAt());
        var generated = provider.Plan(Secrets.NewId(), Secrets.ExpiresAt());

        var refused = await Assert.ThrowsAsync<DownstreamException>(async () => await provider.RevokeAsync(forged, CancellationToken.None));

        Assert.Multiple(async () =>
        {
            Assert.That(refused!.Transient, Is.False);
            Assert.That(await _scenario.RoleExistsAsync(_scenario.Server.AdminRole), Is.True);
            await Assert.DoesNotThrowAsync(async () => await provider.RevokeAsync(generated, CancellationToken.None), "a generated name is accepted");
        });
    }

    [Test]
    public void Describe_names_the_server_database_and_member_roles_and_no_secret()
    {
        var provider = _scenario.Provider();

        var description = provider.Describe();

        Assert.Multiple(() =>
        {
            Assert.That(description.Kind, Is.EqualTo("postgresql"));
            Assert.That(description.Resource, Is.EqualTo("postgres://payments"));
            Assert.That(description.Target, Is.EqualTo($"{_scenario.Server.Host}:{_scenario.Server.Port}/{_scenario.Server.Database}"));
            Assert.That(description.Grants, Is.EqualTo("member of " + _scenario.Reader));
            Assert.That(description.ToString(), Does.Not.Contain("Password").IgnoreCase);
        });
    }
}
