using CredentialBroker.Downstream.Providers;
using CredentialBroker.Downstream.RedisAcl;
using CredentialBroker.Testing;

namespace CredentialBroker.Downstream.Tests.RedisAcl;

/// <summary>The redis provider when the server goes away: each test stops and restarts a private redis-server of its own.</summary>
public sealed class RedisAclOutageTests : IAsyncDisposable
{
    private readonly RedisAclScenario _scenario = new();

    public ValueTask DisposeAsync() => _scenario.DisposeAsync();

    [Test]
    public async Task Issuing_against_a_stopped_server_fails_transiently_and_the_message_holds_no_secret()
    {
        await using var server = await RedisServer.StartPrivateAsync();
        var provider = _scenario.Provider($"{server.ConnectionString},user=default,password=admin-secret-1");
        await using (var admin = await RedisAclScenario.ConnectAsync(server.ConnectionString))
        {
            await admin.SendAsync("ACL", "SETUSER", "default", ">admin-secret-1");
        }

        await provider.IssueAsync(provider.Plan(Secrets.NewId(), Secrets.ExpiresAt()), CancellationToken.None);
        var plan = provider.Plan(Secrets.NewId(), Secrets.ExpiresAt());
        await server.StopAsync();

        var failure = await Assert.ThrowsAsync<DownstreamException>(async () => await provider.IssueAsync(plan, CancellationToken.None));

        var password = _scenario.Passwords.Made[^1];
        var logged = string.Join("\n", _scenario.Logs.GetSnapshot().Select(r => r.Message));
        Assert.Multiple(() =>
        {
            Assert.That(failure!.Transient, Is.True);
            Assert.That(_scenario.Passwords.Made, Has.Count.EqualTo(2), "a password was made for the attempt");
            Assert.That(failure.Message, Does.Contain(plan.Username).And.Contain(plan.Id));
            Assert.That(failure.ToString(), Does.Not.Contain(password).And.Not.Contain(RedisAclSecretProvider.PasswordHash(password)));
            Assert.That(failure.ToString(), Does.Not.Contain("admin-secret-1"));
            Assert.That(logged, Does.Not.Contain(password).And.Not.Contain("admin-secret-1"));
        });
    }

    [Test]
    public async Task A_revocation_during_an_outage_fails_transiently_and_succeeds_after_the_restart()
    {
        await using var server = await RedisServer.StartPrivateAsync();
        var provider = _scenario.Provider(server.ConnectionString);
        var plan = provider.Plan(Secrets.NewId(), Secrets.ExpiresAt());
        await provider.IssueAsync(plan, CancellationToken.None);
        await server.StopAsync();

        var failure = await Assert.ThrowsAsync<DownstreamException>(async () => await provider.RevokeAsync(plan, CancellationToken.None));
        var unverifiable = await Assert.ThrowsAsync<DownstreamException>(async () => await provider.VerifyRevokedAsync(plan, CancellationToken.None));
        Assert.Multiple(() =>
        {
            Assert.That(failure!.Transient, Is.True);
            Assert.That(unverifiable!.Transient, Is.True, "no answer rather than a wrong one");
        });

        // As the revoker does: retry until the client has reconnected and the revocation goes through.
        await server.StartAsync();
        await Poll.UntilAsync(async () =>
        {
            try
            {
                await provider.RevokeAsync(plan, CancellationToken.None);
                return true;
            }
            catch (DownstreamException ex) when (ex.Transient)
            {
                return false;
            }
        }, TimeSpan.FromSeconds(30), "the revocation succeeds after the restart");

        Assert.That(await provider.VerifyRevokedAsync(plan, CancellationToken.None), Is.True);
    }
}
