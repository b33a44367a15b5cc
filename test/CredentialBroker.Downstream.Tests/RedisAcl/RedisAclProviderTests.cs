using System.Security.Cryptography;
using System.Text.RegularExpressions;
using CredentialBroker.Downstream.Providers;
using CredentialBroker.Downstream.RedisAcl;

namespace CredentialBroker.Downstream.Tests.RedisAcl;

/// <summary>The redis provider against a real redis-server, as its default user and as a least-privilege admin user.</summary>
public sealed class RedisAclProviderTests : IAsyncDisposable
{
    private readonly RedisAclScenario _scenario = new();

    private static string Endpoint => DownstreamFixture.Server.ConnectionString;

    public ValueTask DisposeAsync() => _scenario.DisposeAsync();

    [Test]
    public async Task An_issued_user_authenticates_and_runs_what_its_rules_allow_and_nothing_else()
    {
        var provider = _scenario.Provider(Endpoint);
        var plan = provider.Plan(Secrets.NewId(), Secrets.ExpiresAt());

        var secret = await provider.IssueAsync(plan, CancellationToken.None);
        var (connection, auth) = await RedisAclScenario.LogInAsync(Endpoint, plan.Username!, secret.Secret);
        await using var _ = connection;
        var allowed = await connection.SendAsync("GET", $"{_scenario.Prefix}:k");
        var write = await connection.SendAsync("SET", $"{_scenario.Prefix}:k", "v");
        var otherKey = await connection.SendAsync("GET", "elsewhere:k");
        var changeUsers = await connection.SendAsync("ACL", "SETUSER", "intruder", "on", ">x", "+@all");
        var killOthers = await connection.SendAsync("CLIENT", "KILL", "USER", "default");
        var subscribe = await connection.SendAsync("PUBLISH", "any", "x");

        Assert.Multiple(() =>
        {
            Assert.That(auth.Text, Is.EqualTo("OK"));
            Assert.That(allowed.IsError, Is.False, allowed.ToString());
            Assert.That(write.Text, Does.StartWith("NOPERM"));
            Assert.That(otherKey.Text, Does.StartWith("NOPERM"));
            Assert.That(changeUsers.Text, Does.StartWith("NOPERM"));
            Assert.That(killOthers.Text, Does.StartWith("NOPERM"));
            Assert.That(subscribe.Text, Does.StartWith("NOPERM"));
            Assert.That(secret.Fields["endpoints"], Is.EqualTo(new[] { Endpoint }));
            Assert.That(secret.Fields["username"], Is.EqualTo(plan.Username));
            Assert.That(secret.Fields["password"], Is.EqualTo(secret.Secret));
            Assert.That(secret.Secret, Has.Length.GreaterThanOrEqualTo(32).And.Match("^[A-Za-z0-9]+$"));
        });
    }

    [Test]
    public async Task The_user_gets_the_configured_rules_then_connection_commands_and_the_guards_and_only_a_password_hash()
    {
        var provider = _scenario.Provider(Endpoint);
        var plan = provider.Plan(Secrets.NewId(), Secrets.ExpiresAt());
        var secret = await provider.IssueAsync(plan, CancellationToken.None);

        await using var admin = await RedisAclScenario.ConnectAsync(Endpoint);
        var user = (await admin.SendAsync("ACL", "GETUSER", plan.Username!)).Items;
        string Field(string name)
        {
            var value = user[user.ToList().FindIndex(i => i.Text == name) + 1];
            return value.Kind == Testing.RespReplyKind.Array ? string.Join(" ", value.Items.Select(i => i.Text)) : value.Text ?? string.Empty;
        }

        Assert.Multiple(() =>
        {
            Assert.That(Field("flags"), Does.Contain("on"));
            Assert.That(Field("passwords"), Is.EqualTo(Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(secret.Secret)))));
            Assert.That(Field("keys"), Is.EqualTo($"~{_scenario.Prefix}:*"));
            Assert.That(Field("channels"), Is.Empty, "no channels unless configured");
            Assert.That(Field("commands"), Does.StartWith("-@all ").And.Contain(" +get").And.Contain(" +@connection").And.Contain(" -client|kill"));
        });
    }

    [Test]
    public async Task Even_a_user_given_every_command_cannot_reach_users_configuration_or_other_connections()
    {
        var provider = _scenario.Provider(Endpoint, "allkeys allcommands");
        var plan = provider.Plan(Secrets.NewId(), Secrets.ExpiresAt());
        var secret = await provider.IssueAsync(plan, CancellationToken.None);

        var (connection, auth) = await RedisAclScenario.LogInAsync(Endpoint, plan.Username!, secret.Secret);
        await using var _ = connection;

        Assert.Multiple(async () =>
        {
            Assert.That(auth.Text, Is.EqualTo("OK"));
            Assert.That((await connection.SendAsync("SET", $"{_scenario.Prefix}:k", "v")).Text, Is.EqualTo("OK"), "everything else works");
            Assert.That((await connection.SendAsync("ACL", "SETUSER", "intruder", "on", ">x", "+@all")).Text, Does.StartWith("NOPERM"));
            Assert.That((await connection.SendAsync("ACL", "DELUSER", "default")).Text, Does.StartWith("NOPERM"));
            Assert.That((await connection.SendAsync("CONFIG", "SET", "requirepass", "x")).Text, Does.StartWith("NOPERM"));
            Assert.That((await connection.SendAsync("MODULE", "LIST")).Text, Does.StartWith("NOPERM"));
            Assert.That((await connection.SendAsync("CLIENT", "KILL", "USER", "default")).Text, Does.StartWith("NOPERM"));
            Assert.That((await connection.SendAsync("CLIENT", "PAUSE", "10")).Text, Does.StartWith("NOPERM"));
            Assert.That((await connection.SendAsync("REPLICAOF", "127.0.0.1", "1")).Text, Does.StartWith("NOPERM"), "a primary it controls could replay ACL SETUSER");
            Assert.That((await connection.SendAsync("SLAVEOF", "127.0.0.1", "1")).Text, Does.StartWith("NOPERM"));
            Assert.That((await connection.SendAsync("CLUSTER", "MEET", "127.0.0.1", "1")).Text, Does.StartWith("NOPERM"));
            Assert.That((await connection.SendAsync("CLUSTER", "REPLICATE", "x")).Text, Does.StartWith("NOPERM"));
            Assert.That((await connection.SendAsync("FAILOVER", "ABORT")).Text, Does.StartWith("NOPERM"));
            Assert.That((await connection.SendAsync("SYNC")).Text, Does.StartWith("NOPERM"), "the whole dataset, past its key patterns");
            Assert.That((await connection.SendAsync("PSYNC", "?", "-1")).Text, Does.StartWith("NOPERM"));
            Assert.That((await connection.SendAsync("EVAL", "return 1", "0")).Text, Does.StartWith("NOPERM"), "a script that never ends would answer BUSY to the revocation");
            Assert.That((await connection.SendAsync("FCALL", "f", "0")).Text, Does.StartWith("NOPERM"));
            Assert.That((await connection.SendAsync("FUNCTION", "LIST")).Text, Does.StartWith("NOPERM"));
        });
        await provider.RevokeAsync(plan, CancellationToken.None);
    }

    [Test]
    public async Task Revocation_refuses_new_logins_and_closes_a_connection_authenticated_as_the_user()
    {
        var provider = _scenario.Provider(Endpoint);
        var plan = provider.Plan(Secrets.NewId(), Secrets.ExpiresAt());
        var secret = await provider.IssueAsync(plan, CancellationToken.None);
        var (open, auth) = await RedisAclScenario.LogInAsync(Endpoint, plan.Username!, secret.Secret);
        await using var _ = open;
        Assert.That(auth.Text, Is.EqualTo("OK"));
        Assert.That((await open.SendAsync("PING")).Text, Is.EqualTo("PONG"), "the connection works before revocation");

        await provider.RevokeAsync(plan, CancellationToken.None);

        var (again, refused) = await RedisAclScenario.LogInAsync(Endpoint, plan.Username!, secret.Secret);
        await using var __ = again;
        Assert.Multiple(async () =>
        {
            Assert.That(refused.Text, Does.StartWith("WRONGPASS"));
            await Assert.ThrowsAsync<IOException>(() => open.SendAsync("PING"), "the open connection was closed");
            Assert.That(await provider.VerifyRevokedAsync(plan, CancellationToken.None), Is.True);
        });
    }

    [Test]
    public async Task VerifyRevoked_is_false_while_the_user_works_and_true_once_revoked()
    {
        var provider = _scenario.Provider(Endpoint);
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
    public async Task VerifyRevoked_is_false_while_a_disabled_user_still_exists()
    {
        // AUTH is refused (the user is off), yet the user is there to be switched back on: not revoked.
        var provider = _scenario.Provider(Endpoint);
        var plan = provider.Plan(Secrets.NewId(), Secrets.ExpiresAt());
        await provider.IssueAsync(plan, CancellationToken.None);
        await using var admin = await RedisAclScenario.ConnectAsync(Endpoint);
        await admin.SendAsync("ACL", "SETUSER", plan.Username!, "off");

        Assert.That(await provider.VerifyRevokedAsync(plan, CancellationToken.None), Is.False);
        await provider.RevokeAsync(plan, CancellationToken.None);
        Assert.That(await provider.VerifyRevokedAsync(plan, CancellationToken.None), Is.True);
    }

    [Test]
    public async Task Revoking_twice_is_harmless()
    {
        var provider = _scenario.Provider(Endpoint);
        var plan = provider.Plan(Secrets.NewId(), Secrets.ExpiresAt());
        await provider.IssueAsync(plan, CancellationToken.None);

        await provider.RevokeAsync(plan, CancellationToken.None);
        await Assert.DoesNotThrowAsync(async () => await provider.RevokeAsync(plan, CancellationToken.None));
        Assert.That(await provider.VerifyRevokedAsync(plan, CancellationToken.None), Is.True);
    }

    [Test]
    public async Task Revoking_a_plan_that_was_never_issued_is_harmless()
    {
        var provider = _scenario.Provider(Endpoint);
        var plan = provider.Plan(Secrets.NewId(), Secrets.ExpiresAt());

        await Assert.DoesNotThrowAsync(async () => await provider.RevokeAsync(plan, CancellationToken.None));
        Assert.That(await provider.VerifyRevokedAsync(plan, CancellationToken.None), Is.True);
    }

    [Test]
    public async Task A_least_privilege_admin_user_issues_revokes_and_verifies()
    {
        var adminName = "cb_admin_" + _scenario.Prefix;
        var connectionString = await RedisAclScenario.CreateAdminAsync(adminName, "admin-" + _scenario.Prefix, RedisAclScenario.AdminRules, Endpoint);
        var provider = _scenario.Provider(connectionString);
        var plan = provider.Plan(Secrets.NewId(), Secrets.ExpiresAt());

        var secret = await provider.IssueAsync(plan, CancellationToken.None);
        var (open, auth) = await RedisAclScenario.LogInAsync(Endpoint, plan.Username!, secret.Secret);
        await using var _ = open;
        var before = await provider.VerifyRevokedAsync(plan, CancellationToken.None);
        await provider.RevokeAsync(plan, CancellationToken.None);

        Assert.Multiple(async () =>
        {
            Assert.That(auth.Text, Is.EqualTo("OK"));
            Assert.That(before, Is.False);
            await Assert.ThrowsAsync<IOException>(() => open.SendAsync("PING"), "the open connection was closed");
            Assert.That(await provider.VerifyRevokedAsync(plan, CancellationToken.None), Is.True);
        });
    }

    [Test]
    public async Task An_admin_user_without_acl_setuser_cannot_issue_and_the_refusal_is_not_transient()
    {
        var adminName = "cb_admin_" + _scenario.Prefix;
        var connectionString = await RedisAclScenario.CreateAdminAsync(
            adminName, "admin-" + _scenario.Prefix, RedisAclScenario.AdminRules.Replace(" +acl|setuser", string.Empty, StringComparison.Ordinal), Endpoint);
        var provider = _scenario.Provider(connectionString);
        var plan = provider.Plan(Secrets.NewId(), Secrets.ExpiresAt());

        var failure = await Assert.ThrowsAsync<DownstreamException>(async () => await provider.IssueAsync(plan, CancellationToken.None));

        Assert.Multiple(() =>
        {
            Assert.That(failure!.Transient, Is.False);
            Assert.That(failure.Message, Does.Contain("NOPERM"));
            Assert.That(failure.Message, Does.Not.Contain("admin-" + _scenario.Prefix), "not the admin password");
        });
    }

    [Test]
    public void Generated_user_names_match_the_pattern_and_differ_each_time()
    {
        var provider = _scenario.Provider(Endpoint);

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
        var provider = _scenario.Provider(Endpoint);
        var plan = provider.Plan(Secrets.NewId(), Secrets.ExpiresAt());

        var secret = await provider.IssueAsync(plan, CancellationToken.None);
        await provider.RevokeAsync(plan, CancellationToken.None);
        await provider.VerifyRevokedAsync(plan, CancellationToken.None);

        var logged = string.Join("\n", _scenario.Logs.GetSnapshot().Select(r => r.Message + r.Exception));
        Assert.Multiple(() =>
        {
            Assert.That(logged, Does.Contain(plan.Username));
            Assert.That(logged, Does.Not.Contain(secret.Secret).And.Not.Contain(RedisAclSecretProvider.PasswordHash(secret.Secret)));
        });
    }

    [Test]
    public async Task A_record_naming_a_user_the_provider_did_not_generate_is_refused_and_the_user_left_alone()
    {
        var provider = _scenario.Provider(Endpoint);
        var forged = new SecretHandle(Secrets.NewId(), "sessions", "default", null, Secrets.ExpiresAt());
        var generated = provider.Plan(Secrets.NewId(), Secrets.ExpiresAt());

        var refused = await Assert.ThrowsAsync<DownstreamException>(async () => await provider.RevokeAsync(forged, CancellationToken.None));

        await using var admin = await RedisAclScenario.ConnectAsync(Endpoint);
        Assert.Multiple(async () =>
        {
            Assert.That(refused!.Transient, Is.False);
            Assert.That((await admin.SendAsync("ACL", "GETUSER", "default")).Kind, Is.EqualTo(Testing.RespReplyKind.Array));
            await Assert.DoesNotThrowAsync(async () => await provider.RevokeAsync(generated, CancellationToken.None), "a generated name is accepted");
        });
    }

    [Test]
    public void Describe_names_the_endpoints_and_rules_and_no_secret()
    {
        var provider = _scenario.Provider($"{Endpoint},user=cb_admin,password=admin-secret-1");

        var description = provider.Describe();

        Assert.Multiple(() =>
        {
            Assert.That(description.Kind, Is.EqualTo("redis"));
            Assert.That(description.Target, Is.EqualTo(Endpoint));
            Assert.That(description.Grants, Is.EqualTo(_scenario.Acl + " +@connection -acl -config -module -debug -client|kill -client|pause"
                + " -replicaof -slaveof -cluster|meet -cluster|replicate -failover -sync -psync -@scripting"));
            Assert.That(description.ToString(), Does.Not.Contain("admin-secret-1"));
        });
    }
}
