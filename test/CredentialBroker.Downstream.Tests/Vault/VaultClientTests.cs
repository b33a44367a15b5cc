using System.Net;
using System.Net.Sockets;
using CredentialBroker.Downstream.Providers;
using CredentialBroker.Downstream.Vault;
using Microsoft.Extensions.Time.Testing;
using NUnit.Framework.Constraints;

namespace CredentialBroker.Downstream.Tests.Vault;

/// <summary>
/// The Vault client against recorded pairs from Vault's API documentation (see Vault/Recorded/*.json): every request's
/// method, path, headers and body are checked by <see cref="RecordingVault"/>, and every scripted pair must be used.
/// </summary>
public sealed class VaultClientTests
{
    private const string Login = "/v1/auth/approle/login";
    private const string Creds = "/v1/database/creds/my-role";

    private VaultHarness? _harness;

    [TearDown]
    public void TearDown()
    {
        try
        {
            _harness?.Vault.AssertDone();
        }
        finally
        {
            _harness?.Dispose();
        }
    }

    // ---- login --------------------------------------------------------------------------------------------------

    [Test]
    public async Task LoginWithAppRoleAsync_ReturnsTheClientToken_FromTheDocumentedSample()
    {
        var vault = Harness(VaultHarness.AppRole());
        vault.Vault.Then("approle-login");

        var login = await vault.Client().LoginWithAppRoleAsync("approle", VaultHarness.RoleId, VaultHarness.SecretId, CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(login.ClientToken, Is.EqualTo(VaultHarness.AppRoleToken));
            Assert.That(login.LeaseDuration, Is.EqualTo(TimeSpan.FromSeconds(1200)));
            Assert.That(login.Renewable, Is.True);
            Assert.That(login.ToString(), Does.Not.Contain(VaultHarness.AppRoleToken));
        });
    }

    [Test]
    public async Task LoginWithAppRoleAsync_ThrowsANonTransientRefusal_WhenTheRoleOrSecretIdIsInvalid()
    {
        var vault = Harness(VaultHarness.AppRole());
        vault.Vault.Then("approle-login-invalid");

        var e = await Assert.ThrowsAsync<VaultException>(() => vault.Client().LoginWithAppRoleAsync("approle", VaultHarness.RoleId, VaultHarness.SecretId, CancellationToken.None));

        Assert.Multiple(() =>
        {
            Assert.That(e!.StatusCode, Is.EqualTo(400));
            Assert.That(e.Errors, Is.EqualTo(new[] { "invalid role or secret ID" }));
            Assert.That(e.Transient, Is.False);
            Assert.That(e.Message, Does.Contain("POST /v1/auth/approle/login").And.Contain("invalid role or secret ID"));
        });
    }

    [Test]
    public async Task LoginWithTokenAsync_LearnsTheTtl_FromLookupSelf()
    {
        var vault = Harness(VaultHarness.Token());
        vault.Vault.Then("token-lookup-self", ("token", VaultHarness.ConfiguredToken));

        var login = await vault.Client().LoginWithTokenAsync(CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(login.ClientToken, Is.EqualTo(VaultHarness.ConfiguredToken));
            Assert.That(login.LeaseDuration, Is.EqualTo(TimeSpan.FromSeconds(2764790)));
            Assert.That(login.Renewable, Is.True);
        });
    }

    [Test]
    public async Task LoginWithTokenAsync_Fails_WhenVaultNoLongerAcceptsTheToken()
    {
        var vault = Harness(VaultHarness.Token());
        vault.Vault.Then("token-lookup-self-forbidden", ("token", VaultHarness.ConfiguredToken));

        var e = await Assert.ThrowsAsync<VaultException>(() => vault.Client().LoginWithTokenAsync(CancellationToken.None));

        Assert.Multiple(() =>
        {
            Assert.That(e!.StatusCode, Is.EqualTo(403));
            Assert.That(e.Transient, Is.False);
            Assert.That(e.Message, Does.Not.Contain(VaultHarness.ConfiguredToken));
        });
    }

    [Test]
    public async Task LoginWithTokenAsync_ReadsTheTokenFileAfresh_AtEachLogin()
    {
        var file = Path.GetTempFileName();
        try
        {
            await File.WriteAllTextAsync(file, "hvs.first-token\n");
            var vault = Harness(VaultHarness.Token(v => v.Auth = new VaultAuthOptions { Method = "token", TokenFile = file }));
            vault.Vault
                .Then("token-lookup-self", ("token", "hvs.first-token"))
                .Then("token-lookup-self", ("token", "hvs.rotated-token"));
            var client = vault.Client();

            var first = await client.LoginWithTokenAsync(CancellationToken.None);
            await File.WriteAllTextAsync(file, "hvs.rotated-token");
            var second = await client.LoginWithTokenAsync(CancellationToken.None);

            Assert.Multiple(() =>
            {
                Assert.That(first.ClientToken, Is.EqualTo("hvs.first-token"));
                Assert.That(second.ClientToken, Is.EqualTo("hvs.rotated-token"));
            });
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Test]
    public async Task LoginWithTokenAsync_FailsTransiently_WhenTheTokenFileIsMissing()
    {
        var missing = Path.Combine(Path.GetTempPath(), $"cb-vault-{Guid.NewGuid():N}", "token");
        var vault = Harness(VaultHarness.Token(v => v.Auth = new VaultAuthOptions { Method = "token", TokenFile = missing }));

        var e = await Assert.ThrowsAsync<VaultException>(() => vault.Client().LoginWithTokenAsync(CancellationToken.None));

        Assert.Multiple(() =>
        {
            Assert.That(e!.Transient, Is.True);
            Assert.That(e.Message, Does.Contain("TokenFile"));
            Assert.That(vault.Vault.Requests, Is.Empty);
        });
    }

    // ---- credentials --------------------------------------------------------------------------------------------

    [Test]
    public async Task ReadCredentialsAsync_ReturnsTheLeaseAndItsData_AfterLoggingIn()
    {
        var vault = Harness(VaultHarness.AppRole());
        vault.Vault.Then("approle-login").Then("database-creds");

        var credentials = await vault.Client().ReadCredentialsAsync("database", "my-role", CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(credentials.LeaseId, Is.EqualTo(VaultHarness.LeaseId));
            Assert.That(credentials.LeaseDuration, Is.EqualTo(TimeSpan.FromHours(1)));
            Assert.That(credentials.Renewable, Is.True);
            Assert.That(credentials.Data["username"], Is.EqualTo("v-vaultuser-e2978cd0-ugp7iqI2hdlff5hfjylJ-1602537260"));
            Assert.That(credentials.Data["password"], Is.EqualTo(VaultHarness.Password));
            Assert.That(credentials.ToString(), Does.Not.Contain(VaultHarness.Password));
        });
    }

    [Test]
    public async Task ReadCredentialsAsync_ReusesTheToken_ForLaterCalls()
    {
        var vault = Harness(VaultHarness.AppRole());
        vault.Vault.Then("approle-login").Then("database-creds").Then("database-creds");
        var client = vault.Client();

        await client.ReadCredentialsAsync("database", "my-role", CancellationToken.None);
        await client.ReadCredentialsAsync("database", "my-role", CancellationToken.None);

        Assert.That(vault.Vault.Count(Login), Is.EqualTo(1));
    }

    [Test]
    public async Task ReadCredentialsAsync_SendsTheNamespace_WhenOneIsConfigured()
    {
        // The recording stand-in requires X-Vault-Namespace on every request when one is configured, and refuses it
        // otherwise (every other test is the twin).
        var vault = Harness(VaultHarness.AppRole(v => v.Namespace = "ns1/ns2/"));
        vault.Vault.Then("approle-login").Then("database-creds");

        var credentials = await vault.Client().ReadCredentialsAsync("database", "my-role", CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(credentials.LeaseId, Is.EqualTo(VaultHarness.LeaseId));
            Assert.That(vault.Vault.Requests.Select(r => r.Headers["X-Vault-Namespace"]), Is.All.EqualTo("ns1/ns2/"));
        });
    }

    [Test]
    public async Task ReadCredentialsAsync_SharesOneLogin_BetweenConcurrentCalls()
    {
        var vault = Harness(VaultHarness.AppRole());
        vault.Vault.Then("approle-login").ThenRepeatedly("database-creds", 4);
        var client = vault.Client();

        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => client.ReadCredentialsAsync("database", "my-role", CancellationToken.None)));

        Assert.That(vault.Vault.Count(Login), Is.EqualTo(1));
    }

    [TestCase(400, "unknown role: my-role", false, 1)]
    [TestCase(404, null, false, 1)]
    [TestCase(429, "rate limit quota exceeded", true, 3)]
    [TestCase(500, "internal error", true, 1)]
    [TestCase(502, "connection refused", true, 1)]
    [TestCase(503, "Vault is sealed", true, 3)]
    public async Task ReadCredentialsAsync_MapsVaultsErrorFormat_ToATypedException(int status, string? error, bool transient, int attempts)
    {
        // 429 and 503 mean Vault did nothing: retried (RetryAttempts = 2). 500 and 502 leave open whether a lease was
        // created, so a credentials read is not sent again; a revoke or lookup would be.
        var vault = Harness(VaultHarness.AppRole());
        vault.Vault.Then("approle-login").ThenRepeatedly($"database-creds-{status}", attempts);

        var e = await Assert.ThrowsAsync<VaultException>(() => vault.Client().ReadCredentialsAsync("database", "my-role", CancellationToken.None));

        Assert.Multiple(() =>
        {
            Assert.That(e!.StatusCode, Is.EqualTo(status));
            Assert.That(e.Transient, Is.EqualTo(transient));
            Assert.That(e.Errors, error is null ? (IResolveConstraint)Is.Empty : Has.One.Contains(error));
            Assert.That(e.Message, Does.Contain($"{status} to GET {Creds}"));
            Assert.That(vault.Vault.Count(Creds), Is.EqualTo(attempts));
        });
    }

    [Test]
    public async Task ReadCredentialsAsync_Succeeds_WhenVaultAnswers503ThenServes()
    {
        var vault = Harness(VaultHarness.AppRole());
        vault.Vault.Then("approle-login").Then("database-creds-503").Then("database-creds");

        var credentials = await vault.Client().ReadCredentialsAsync("database", "my-role", CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(credentials.LeaseId, Is.EqualTo(VaultHarness.LeaseId));
            Assert.That(vault.Vault.Count(Creds), Is.EqualTo(2));
        });
    }

    [Test]
    public async Task ReadCredentialsAsync_FailsTransiently_AfterTheConfiguredAttempts_WhenVaultStays503()
    {
        var vault = Harness(VaultHarness.AppRole(v => v.RetryAttempts = 4));
        vault.Vault.Then("approle-login").ThenRepeatedly("database-creds-503", 5);

        var e = await Assert.ThrowsAsync<VaultException>(() => vault.Client().ReadCredentialsAsync("database", "my-role", CancellationToken.None));

        Assert.Multiple(() =>
        {
            Assert.That(e!.Transient, Is.True);
            Assert.That(e.StatusCode, Is.EqualTo(503));
            Assert.That(vault.Vault.Count(Creds), Is.EqualTo(5));
        });
    }

    [Test]
    public async Task ReadCredentialsAsync_TriesOnce_WhenRetriesAreOff()
    {
        var vault = Harness(VaultHarness.AppRole(v => v.RetryAttempts = 0));
        vault.Vault.Then("approle-login").Then("database-creds-503");

        var e = await Assert.ThrowsAsync<VaultException>(() => vault.Client().ReadCredentialsAsync("database", "my-role", CancellationToken.None));

        Assert.Multiple(() =>
        {
            Assert.That(e!.Transient, Is.True);
            Assert.That(vault.Vault.Count(Creds), Is.EqualTo(1));
        });
    }

    [Test]
    public async Task ReadCredentialsAsync_Retries_WhenTheConnectionWasRefused()
    {
        // A refused connection never reached Vault: even a credentials read is safe to send again.
        var vault = Harness(VaultHarness.AppRole());
        vault.Vault.Then("approle-login").ThenConnectionRefused("database-creds").Then("database-creds");

        var credentials = await vault.Client().ReadCredentialsAsync("database", "my-role", CancellationToken.None);

        Assert.That(credentials.LeaseId, Is.EqualTo(VaultHarness.LeaseId));
    }

    [Test]
    public async Task ReadCredentialsAsync_IsNotSentAgain_AfterATimeout()
    {
        // Vault may have created the lease before the answer was lost: a second read would leave an orphan lease.
        var vault = Harness(VaultHarness.AppRole(v => v.Timeout = TimeSpan.FromMilliseconds(300)));
        vault.Vault.Then("approle-login").ThenNoAnswer("database-creds");

        var e = await Assert.ThrowsAsync<VaultException>(() => vault.Client().ReadCredentialsAsync("database", "my-role", CancellationToken.None));

        Assert.Multiple(() =>
        {
            Assert.That(e!.Transient, Is.True);
            Assert.That(e.StatusCode, Is.Null);
            Assert.That(e.Message, Does.Contain("did not answer GET /v1/database/creds/my-role within 0.3 s"));
            Assert.That(vault.Vault.Count(Creds), Is.EqualTo(1));
        });
    }

    [Test]
    public async Task ReadCredentialsAsync_ThrowsATypedError_WhenTheBodyIsNotJson()
    {
        var vault = Harness(VaultHarness.AppRole());
        vault.Vault.Then("approle-login").Then("database-creds-garbage");

        var e = await Assert.ThrowsAsync<VaultException>(() => vault.Client().ReadCredentialsAsync("database", "my-role", CancellationToken.None));

        Assert.Multiple(() =>
        {
            Assert.That(e!.StatusCode, Is.EqualTo(200));
            Assert.That(e.Transient, Is.False);
            Assert.That(e.Message, Does.Contain("not the JSON the API documents"));
            Assert.That(e.InnerException, Is.InstanceOf<System.Text.Json.JsonException>());
        });
    }

    [Test]
    public async Task ReadCredentialsAsync_Rejects_NamesThatCouldReachAnotherEndpoint()
    {
        var vault = Harness(VaultHarness.AppRole());
        var client = vault.Client();

        await Assert.ThrowsAsync<ArgumentException>(() => client.ReadCredentialsAsync("../sys", "my-role", CancellationToken.None));
        await Assert.ThrowsAsync<ArgumentException>(() => client.ReadCredentialsAsync("database", "my-role/../../sys/leases", CancellationToken.None));
        await Assert.ThrowsAsync<ArgumentException>(() => client.ReadCredentialsAsync("database", "my-role?x=1", CancellationToken.None));

        Assert.That(vault.Vault.Requests, Is.Empty);
    }

    // ---- 403 and re-login ---------------------------------------------------------------------------------------

    [Test]
    public async Task ReadCredentialsAsync_LogsInAgainOnce_WhenVaultRefusesATokenItHadAccepted()
    {
        var vault = Harness(VaultHarness.AppRole());
        vault.Vault
            .Then("approle-login")
            .Then("database-creds")
            .Then("database-creds-403")
            .Then("approle-login", ("token", "hvs.second-token"))
            .Then("database-creds", ("token", "hvs.second-token"));
        var client = vault.Client();
        await client.ReadCredentialsAsync("database", "my-role", CancellationToken.None);

        var credentials = await client.ReadCredentialsAsync("database", "my-role", CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(credentials.LeaseId, Is.EqualTo(VaultHarness.LeaseId));
            Assert.That(vault.Vault.Count(Login), Is.EqualTo(2));
            Assert.That(vault.Logs.GetSnapshot().Select(r => r.Id.Id), Has.Member(3104));
        });
    }

    [Test]
    public async Task ReadCredentialsAsync_Fails_WhenTheNewTokenIsRefusedToo()
    {
        var vault = Harness(VaultHarness.AppRole());
        vault.Vault
            .Then("approle-login")
            .Then("database-creds")
            .Then("database-creds-403")
            .Then("approle-login", ("token", "hvs.second-token"))
            .Then("database-creds-403", ("token", "hvs.second-token"));
        var client = vault.Client();

        await Assert.DoesNotThrowAsync(() => client.ReadCredentialsAsync("database", "my-role", CancellationToken.None));
        var e = await Assert.ThrowsAsync<VaultException>(() => client.ReadCredentialsAsync("database", "my-role", CancellationToken.None));

        Assert.Multiple(() =>
        {
            Assert.That(e!.StatusCode, Is.EqualTo(403));
            Assert.That(e.Transient, Is.False);
            Assert.That(e.Errors, Is.EqualTo(new[] { "permission denied" }));
        });
    }

    [Test]
    public async Task ReadCredentialsAsync_DoesNotLogInAgain_WhenAFreshTokenIsRefused()
    {
        // A 403 to a token obtained for this very call is the policy talking: a second login would not change it (and
        // would spend another use of the secret id).
        var vault = Harness(VaultHarness.AppRole());
        vault.Vault.Then("approle-login").Then("database-creds-403");

        var e = await Assert.ThrowsAsync<VaultException>(() => vault.Client().ReadCredentialsAsync("database", "my-role", CancellationToken.None));

        Assert.Multiple(() =>
        {
            Assert.That(e!.StatusCode, Is.EqualTo(403));
            Assert.That(vault.Vault.Count(Login), Is.EqualTo(1));
        });
    }

    // ---- token lifetime -----------------------------------------------------------------------------------------

    [Test]
    public async Task ReadCredentialsAsync_LogsInAgain_OnceTwoThirdsOfTheTokenTtlHavePassed()
    {
        var time = new FakeTimeProvider();
        var vault = Harness(VaultHarness.AppRole());
        vault.Vault
            .Then("approle-login")
            .Then("database-creds")
            .Then("approle-login", ("token", "hvs.second-token"))
            .Then("database-creds", ("token", "hvs.second-token"));
        var client = vault.Client(time);
        await client.ReadCredentialsAsync("database", "my-role", CancellationToken.None);

        time.Advance(TimeSpan.FromSeconds(801)); // the AppRole token lasts 1200 s
        await client.ReadCredentialsAsync("database", "my-role", CancellationToken.None);

        Assert.That(vault.Vault.Count(Login), Is.EqualTo(2));
    }

    [Test]
    public async Task ReadCredentialsAsync_KeepsTheToken_BeforeTwoThirdsOfItsTtl()
    {
        var time = new FakeTimeProvider();
        var vault = Harness(VaultHarness.AppRole());
        vault.Vault.Then("approle-login").Then("database-creds").Then("database-creds");
        var client = vault.Client(time);
        await client.ReadCredentialsAsync("database", "my-role", CancellationToken.None);

        time.Advance(TimeSpan.FromSeconds(799));
        await client.ReadCredentialsAsync("database", "my-role", CancellationToken.None);

        Assert.That(vault.Vault.Count(Login), Is.EqualTo(1));
    }

    [Test]
    public async Task ReadCredentialsAsync_RenewsARenewableConfiguredToken_InsteadOfReplacingIt()
    {
        var time = new FakeTimeProvider();
        var vault = Harness(VaultHarness.Token());
        vault.Vault
            .Then("token-lookup-self", ("token", VaultHarness.ConfiguredToken), ("ttl", 60))
            .Then("database-creds", ("token", VaultHarness.ConfiguredToken))
            .Then("token-renew-self", ("token", VaultHarness.ConfiguredToken))
            .Then("database-creds", ("token", VaultHarness.ConfiguredToken)); // renew-self keeps the token
        var client = vault.Client(time);
        await client.ReadCredentialsAsync("database", "my-role", CancellationToken.None);

        time.Advance(TimeSpan.FromSeconds(45));
        await client.ReadCredentialsAsync("database", "my-role", CancellationToken.None);

        Assert.That(vault.Vault.Count("/v1/auth/token/renew-self"), Is.EqualTo(1));
    }

    // ---- leases -------------------------------------------------------------------------------------------------

    [Test]
    public async Task RevokeLeaseAsync_Succeeds_WhenVaultAnswers204()
    {
        var vault = Harness(VaultHarness.AppRole());
        vault.Vault.Then("approle-login").Then("lease-revoke");

        await vault.Client().RevokeLeaseAsync(VaultHarness.LeaseId, CancellationToken.None);

        var revoke = vault.Vault.Requests[^1];
        Assert.Multiple(() =>
        {
            Assert.That(revoke.Path, Is.EqualTo("/v1/sys/leases/revoke"));
            Assert.That(revoke.Body, Does.Contain(VaultHarness.LeaseId), "the lease id travels in the body");
        });
    }

    [Test]
    public async Task RevokeLeaseAsync_Succeeds_WhenTheLeaseIsAlreadyRevoked()
    {
        var vault = Harness(VaultHarness.AppRole());
        vault.Vault.Then("approle-login").Then("lease-revoke").Then("lease-revoke-unknown");
        var client = vault.Client();
        await client.RevokeLeaseAsync(VaultHarness.LeaseId, CancellationToken.None);

        await Assert.DoesNotThrowAsync(() => client.RevokeLeaseAsync(VaultHarness.LeaseId, CancellationToken.None));
    }

    [Test]
    public async Task RevokeLeaseAsync_Succeeds_WhenVaultAnswers503ThenRevokes()
    {
        var vault = Harness(VaultHarness.AppRole());
        vault.Vault.Then("approle-login").Then("lease-revoke-503").Then("lease-revoke");

        await vault.Client().RevokeLeaseAsync(VaultHarness.LeaseId, CancellationToken.None);

        Assert.That(vault.Vault.Count("/v1/sys/leases/revoke"), Is.EqualTo(2));
    }

    [Test]
    public async Task RevokeLeaseAsync_FailsTransiently_WhenVaultNeverAnswers()
    {
        // A revoke is idempotent, so a timed-out attempt is sent again: three attempts, each cut at the timeout.
        var vault = Harness(VaultHarness.AppRole(v => v.Timeout = TimeSpan.FromMilliseconds(300)));
        vault.Vault.Then("approle-login").ThenNoAnswer("lease-revoke", times: 3);

        var e = await Assert.ThrowsAsync<VaultException>(() => vault.Client().RevokeLeaseAsync(VaultHarness.LeaseId, CancellationToken.None));

        Assert.Multiple(() =>
        {
            Assert.That(e!.Transient, Is.True);
            Assert.That(e.InnerException, Is.InstanceOf<Polly.Timeout.TimeoutRejectedException>());
            Assert.That(vault.Vault.Count("/v1/sys/leases/revoke"), Is.EqualTo(3));
        });
    }

    [Test]
    public async Task RevokeLeaseAsync_StopsAtOnce_WhenTheCallerCancels()
    {
        var vault = Harness(VaultHarness.AppRole());
        vault.Vault.Then("approle-login").ThenNoAnswer("lease-revoke");
        var client = vault.Client();
        using var cancel = new CancellationTokenSource();

        var revoke = client.RevokeLeaseAsync(VaultHarness.LeaseId, cancel.Token);
        await vault.Vault.Received(2).WaitAsync(TimeSpan.FromSeconds(10)); // the login, then the revoke
        await cancel.CancelAsync();

        await Assert.CatchAsync<OperationCanceledException>(() => revoke);
        Assert.That(vault.Vault.Count("/v1/sys/leases/revoke"), Is.EqualTo(1), "cancellation is not retried");
    }

    [Test]
    public async Task LookupLeaseAsync_ReturnsTheExpiry_WhenVaultHoldsTheLease()
    {
        var vault = Harness(VaultHarness.AppRole());
        vault.Vault.Then("approle-login").Then("lease-lookup");

        var lease = await vault.Client().LookupLeaseAsync(VaultHarness.LeaseId, CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(lease.Exists, Is.True);
            Assert.That(lease.Ttl, Is.EqualTo(TimeSpan.FromSeconds(3558)));
            Assert.That(lease.ExpireTime, Is.EqualTo(new DateTimeOffset(2017, 4, 30, 11, 18, 11, TimeSpan.FromHours(-4)).AddTicks(2289467)));
        });
    }

    [Test]
    public async Task LookupLeaseAsync_ReadsTheShapeTheDocumentationPrints_Too()
    {
        var vault = Harness(VaultHarness.AppRole());
        vault.Vault.Then("approle-login").Then("lease-lookup-docs-sample");

        var lease = await vault.Client().LookupLeaseAsync(VaultHarness.LeaseId, CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(lease.Exists, Is.True);
            Assert.That(lease.Ttl, Is.EqualTo(TimeSpan.FromSeconds(3558)));
        });
    }

    [Test]
    public async Task LookupLeaseAsync_ReturnsNotFound_WhenVaultAnswersInvalidLease()
    {
        var vault = Harness(VaultHarness.AppRole());
        vault.Vault.Then("approle-login").Then("lease-lookup-invalid");

        var lease = await vault.Client().LookupLeaseAsync(VaultHarness.LeaseId, CancellationToken.None);

        Assert.That(lease, Is.EqualTo(VaultLeaseLookup.NotFound));
    }

    [Test]
    public async Task LookupLeaseAsync_Throws_ForAnyOther400()
    {
        var vault = Harness(VaultHarness.AppRole());
        vault.Vault.Then("approle-login").Then("lease-lookup-missing-id");

        var e = await Assert.ThrowsAsync<VaultException>(() => vault.Client().LookupLeaseAsync(VaultHarness.LeaseId, CancellationToken.None));

        Assert.Multiple(() =>
        {
            Assert.That(e!.StatusCode, Is.EqualTo(400));
            Assert.That(e.Errors, Is.EqualTo(new[] { "lease_id must be specified" }));
        });
    }

    // ---- no secret in a message or a log ------------------------------------------------------------------------

    [Test]
    public async Task No_token_secret_id_or_role_id_appears_in_an_exception_or_a_log()
    {
        var vault = Harness(VaultHarness.AppRole());
        vault.Vault.Then("approle-login-echoing-secret");

        var e = await Assert.ThrowsAsync<VaultException>(() => vault.Client().ReadCredentialsAsync("database", "my-role", CancellationToken.None));

        Assert.Multiple(() =>
        {
            Assert.That(e!.ToString(), Does.Not.Contain(VaultHarness.SecretId).And.Not.Contain(VaultHarness.RoleId));
            Assert.That(e.Errors, Has.One.Contains("[redacted]"));
            Assert.That(vault.LogText(), Has.None.Contains(VaultHarness.SecretId).And.None.Contains(VaultHarness.RoleId));
        });
    }

    [Test]
    public async Task No_token_or_password_appears_in_any_log_of_a_whole_session()
    {
        // Logs at every level, HttpClient's own included: login, a read, a refused token, a re-login, a retried revoke,
        // a lookup, and a failure.
        var vault = Harness(VaultHarness.AppRole());
        vault.Vault
            .Then("approle-login")
            .Then("database-creds")
            .Then("database-creds-403")
            .Then("approle-login", ("token", "hvs.second-token"))
            .Then("database-creds", ("token", "hvs.second-token"))
            .Then("lease-revoke-503", ("token", "hvs.second-token"))
            .Then("lease-revoke", ("token", "hvs.second-token"))
            .Then("lease-lookup-invalid", ("token", "hvs.second-token"))
            .Then("database-creds-400", ("token", "hvs.second-token"));
        var client = vault.Client();
        await client.ReadCredentialsAsync("database", "my-role", CancellationToken.None);
        await client.ReadCredentialsAsync("database", "my-role", CancellationToken.None);
        await client.RevokeLeaseAsync(VaultHarness.LeaseId, CancellationToken.None);
        await client.LookupLeaseAsync(VaultHarness.LeaseId, CancellationToken.None);
        var e = await Assert.ThrowsAsync<VaultException>(() => client.ReadCredentialsAsync("database", "my-role", CancellationToken.None));

        var logs = vault.LogText().ToList();
        Assert.Multiple(() =>
        {
            Assert.That(vault.Logs.GetSnapshot().Select(r => r.Id.Id), Has.Member(3104).And.Member(3105), "the client's own logs ran");
            Assert.That(
                vault.Logs.GetSnapshot().Select(r => r.Category),
                Has.None.StartsWith("System.Net.Http.HttpClient." + VaultHttp.ClientName),
                "IHttpClientFactory's header logging is off for this client: its structured state carries header values");
            foreach (var secret in new[] { VaultHarness.AppRoleToken, "hvs.second-token", VaultHarness.SecretId, VaultHarness.RoleId, VaultHarness.Password })
            {
                Assert.That(logs, Has.None.Contains(secret), secret);
                Assert.That(e!.ToString(), Does.Not.Contain(secret));
            }
        });
    }

    // ---- the HttpClient pipeline --------------------------------------------------------------------------------

    [Test]
    public async Task AddDownstreamSecrets_CalledTwice_KeepsOneRetryPipeline()
    {
        _harness = new VaultHarness(VaultHarness.AppRole(v => v.RetryAttempts = 1), addTwice: true);
        _harness.Vault.Then("approle-login").ThenRepeatedly("database-creds-503", 2);

        await Assert.ThrowsAsync<VaultException>(() => _harness.Client().ReadCredentialsAsync("database", "my-role", CancellationToken.None));

        Assert.That(_harness.Vault.Count(Creds), Is.EqualTo(2), "one pipeline: 1 + 1 retry, not (1 + 1)²");
    }

    [Test]
    public async Task A_closed_port_is_a_transient_failure_after_the_retries()
    {
        // The real SocketsHttpHandler this time: nothing listens on the port.
        var port = FreePort();
        _harness = new VaultHarness(VaultHarness.AppRole(v => v.Address = $"http://127.0.0.1:{port}"), recorded: false);

        var e = await Assert.ThrowsAsync<VaultException>(() => _harness.Client().LoginWithAppRoleAsync("approle", VaultHarness.RoleId, VaultHarness.SecretId, CancellationToken.None));

        Assert.Multiple(() =>
        {
            Assert.That(e!.Transient, Is.True);
            Assert.That(e.StatusCode, Is.Null);
            Assert.That(e.Message, Does.Contain("could not be reached for POST /v1/auth/approle/login (ConnectionError)"));
        });
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private VaultHarness Harness(ProviderOptions options) => _harness = new VaultHarness(options);
}
