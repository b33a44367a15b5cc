using CredentialBroker.Downstream.Providers;
using CredentialBroker.Downstream.Vault;
using Microsoft.Extensions.Time.Testing;

namespace CredentialBroker.Downstream.Tests.Vault;

/// <summary>The <c>vault</c> provider as the broker drives it: plan, issue, revoke, verify — against recorded pairs.</summary>
public sealed class VaultSecretProviderTests
{
    private static readonly DateTimeOffset Now = new(2026, 5, 4, 12, 0, 0, TimeSpan.Zero);

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

    [Test]
    public void The_vault_kind_is_registered_and_builds_a_provider_for_its_resource()
    {
        var vault = Harness(VaultHarness.AppRole());

        var provider = vault.Providers.ForResource(VaultHarness.Resource);

        Assert.Multiple(() =>
        {
            Assert.That(provider, Is.InstanceOf<VaultSecretProvider>());
            Assert.That(provider!.Name, Is.EqualTo(VaultHarness.ProviderName));
            Assert.That(provider.Kind, Is.EqualTo("vault"));
            Assert.That(provider.MaxTtl, Is.EqualTo(TimeSpan.FromMinutes(5)));
        });
    }

    [Test]
    public void Plan_NamesTheRecord_WithNoUsernameAndNoLeaseYet()
    {
        var vault = Harness(VaultHarness.AppRole());

        var plan = vault.Provider.Plan("jti-1", Now.AddMinutes(5));

        Assert.That(plan, Is.EqualTo(new SecretHandle("jti-1", VaultHarness.ProviderName, null, null, Now.AddMinutes(5))));
    }

    [Test]
    public async Task IssueAsync_ReturnsThePasswordAndTheFieldsApiMdNames()
    {
        var vault = Harness(VaultHarness.AppRole());
        vault.Vault.Then("approle-login").Then("database-creds");
        var plan = vault.Provider.Plan("jti-1", Now.AddMinutes(5));

        var issued = await vault.Provider.IssueAsync(plan, CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(issued.Handle, Is.EqualTo(plan with { LeaseId = VaultHarness.LeaseId }));
            Assert.That(issued.Secret, Is.EqualTo(VaultHarness.Password));
            Assert.That(issued.Fields.Keys, Is.EquivalentTo(new[] { "leaseId", "leaseDuration", "data" }));
            Assert.That(issued.Fields["leaseId"], Is.EqualTo(VaultHarness.LeaseId));
            Assert.That(issued.Fields["leaseDuration"], Is.EqualTo(3600L));
            Assert.That(issued.Fields["data"], Is.EquivalentTo(new Dictionary<string, string>
            {
                ["username"] = "v-vaultuser-e2978cd0-ugp7iqI2hdlff5hfjylJ-1602537260",
                ["password"] = VaultHarness.Password,
            }));
        });
    }

    [Test]
    public async Task IssueAsync_ReturnsTheDataAsJson_WhenTheSecretHasNoPassword()
    {
        var vault = Harness(VaultHarness.AppRole(v => (v.Mount, v.Role) = ("aws", "example-role")));
        vault.Vault.Then("approle-login").Then("aws-creds");

        var issued = await vault.Provider.IssueAsync(vault.Provider.Plan("jti-1", Now.AddMinutes(5)), CancellationToken.None);

        Assert.Multiple(() =>
        {
            // security_token is null in the documented sample: absent, not "null".
            Assert.That(issued.Secret, Is.EqualTo("""{"access_key":"AKIA...","secret_key":"xlCs..."}"""));
            Assert.That(issued.Handle.LeaseId, Is.EqualTo("aws/creds/example-role/b149fdb3-43b3-6d17-d56f-63593c15bd68"));
        });
    }

    [Test]
    public async Task IssueAsync_Refuses_AMountThatLeasesNothing()
    {
        var vault = Harness(VaultHarness.AppRole());
        vault.Vault.Then("approle-login").Then("kv-read-unleased");

        var e = await Assert.ThrowsAsync<DownstreamException>(async () => await vault.Provider.IssueAsync(vault.Provider.Plan("jti-1", Now.AddMinutes(5)), CancellationToken.None));

        Assert.Multiple(() =>
        {
            Assert.That(e!.Transient, Is.False);
            Assert.That(e.Message, Does.Contain("no lease").And.Contain("database/creds/my-role"));
            Assert.That(e.Message, Does.Not.Contain("bar"), "never the data");
        });
    }

    [Test]
    public async Task IssueAsync_ThrowsATransientDownstreamException_WhileVaultIsSealed()
    {
        var vault = Harness(VaultHarness.AppRole());
        vault.Vault.Then("approle-login").ThenRepeatedly("database-creds-503", 3);

        var e = await Assert.ThrowsAsync<DownstreamException>(async () => await vault.Provider.IssueAsync(vault.Provider.Plan("jti-1", Now.AddMinutes(5)), CancellationToken.None));

        Assert.Multiple(() =>
        {
            Assert.That(e!.Transient, Is.True);
            Assert.That(e.Message, Does.StartWith("Vault provider 'vault-a' could not issue: Vault answered 503").And.Contain("Vault is sealed"));
            Assert.That(e.InnerException, Is.InstanceOf<VaultException>());
        });
    }

    [Test]
    public async Task IssueAsync_ThrowsAPermanentDownstreamException_WhenThePolicyRefuses()
    {
        var vault = Harness(VaultHarness.AppRole());
        vault.Vault.Then("approle-login").Then("database-creds-403");

        var e = await Assert.ThrowsAsync<DownstreamException>(async () => await vault.Provider.IssueAsync(vault.Provider.Plan("jti-1", Now.AddMinutes(5)), CancellationToken.None));

        Assert.Multiple(() =>
        {
            Assert.That(e!.Transient, Is.False);
            Assert.That(e.Message, Does.Contain("permission denied"));
        });
    }

    [Test]
    public async Task IssueAsync_ThrowsAPermanentDownstreamException_WhenTheAnswerIsNotJson()
    {
        var vault = Harness(VaultHarness.AppRole());
        vault.Vault.Then("approle-login").Then("database-creds-garbage");

        var e = await Assert.ThrowsAsync<DownstreamException>(async () => await vault.Provider.IssueAsync(vault.Provider.Plan("jti-1", Now.AddMinutes(5)), CancellationToken.None));

        Assert.Multiple(() =>
        {
            Assert.That(e!.Transient, Is.False);
            Assert.That(e.Message, Does.Contain("not the JSON the API documents").And.Not.Contain("nginx"));
        });
    }

    [Test]
    public async Task IssueAsync_NotesThatTheRevokerEndsTheLease_WhenItOutlivesTheSecret()
    {
        var vault = Harness(VaultHarness.AppRole(), new FakeTimeProvider(Now));
        vault.Vault.Then("approle-login").Then("database-creds");

        // The lease lasts 1 h; the secret 5 min. Still issued: the revoker revokes the lease at the deadline.
        var issued = await vault.Provider.IssueAsync(vault.Provider.Plan("jti-1", Now.AddMinutes(5)), CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(issued.Handle.LeaseId, Is.EqualTo(VaultHarness.LeaseId));
            Assert.That(vault.Logs.GetSnapshot().Select(r => r.Id.Id), Has.Member(3121));
        });
    }

    [Test]
    public async Task IssueAsync_NotesNothing_WhenTheLeaseEndsBeforeTheSecret()
    {
        var vault = Harness(VaultHarness.AppRole(), new FakeTimeProvider(Now));
        vault.Vault.Then("approle-login").Then("database-creds");

        await vault.Provider.IssueAsync(vault.Provider.Plan("jti-1", Now.AddHours(2)), CancellationToken.None);

        Assert.That(vault.Logs.GetSnapshot().Select(r => r.Id.Id), Has.No.Member(3121));
    }

    [Test]
    public async Task VerifyRevokedAsync_IsTrue_AfterRevokeAsync()
    {
        var vault = Harness(VaultHarness.AppRole());
        vault.Vault.Then("approle-login").Then("database-creds").Then("lease-revoke").Then("lease-lookup-invalid");
        var issued = await vault.Provider.IssueAsync(vault.Provider.Plan("jti-1", Now.AddMinutes(5)), CancellationToken.None);

        await vault.Provider.RevokeAsync(issued.Handle, CancellationToken.None);
        var dead = await vault.Provider.VerifyRevokedAsync(issued.Handle, CancellationToken.None);

        Assert.That(dead, Is.True);
    }

    [Test]
    public async Task VerifyRevokedAsync_IsFalse_BeforeRevokeAsync()
    {
        var vault = Harness(VaultHarness.AppRole());
        vault.Vault.Then("approle-login").Then("database-creds").Then("lease-lookup");
        var issued = await vault.Provider.IssueAsync(vault.Provider.Plan("jti-1", Now.AddMinutes(5)), CancellationToken.None);

        var dead = await vault.Provider.VerifyRevokedAsync(issued.Handle, CancellationToken.None);

        Assert.That(dead, Is.False);
    }

    [Test]
    public async Task VerifyRevokedAsync_Throws_WhenVaultCannotBeAsked()
    {
        var vault = Harness(VaultHarness.AppRole(v => v.RetryAttempts = 0));
        vault.Vault.Then("approle-login").ThenConnectionRefused("lease-lookup");
        var handle = vault.Provider.Plan("jti-1", Now.AddMinutes(5)) with { LeaseId = VaultHarness.LeaseId };

        var e = await Assert.ThrowsAsync<DownstreamException>(async () => await vault.Provider.VerifyRevokedAsync(handle, CancellationToken.None));

        Assert.That(e!.Transient, Is.True);
    }

    [Test]
    public async Task RevokeAsync_IsIdempotent()
    {
        var vault = Harness(VaultHarness.AppRole());
        vault.Vault.Then("approle-login").Then("lease-revoke").Then("lease-revoke-unknown");
        var handle = vault.Provider.Plan("jti-1", Now.AddMinutes(5)) with { LeaseId = VaultHarness.LeaseId };

        await vault.Provider.RevokeAsync(handle, CancellationToken.None);

        await Assert.ThatAsync(async () => await vault.Provider.RevokeAsync(handle, CancellationToken.None), Throws.Nothing);
    }

    [Test]
    public async Task RevokeAsync_ThrowsATransientDownstreamException_WhileVaultIsSealed()
    {
        var vault = Harness(VaultHarness.AppRole());
        vault.Vault.Then("approle-login").ThenRepeatedly("lease-revoke-503", 3);
        var handle = vault.Provider.Plan("jti-1", Now.AddMinutes(5)) with { LeaseId = VaultHarness.LeaseId };

        var e = await Assert.ThrowsAsync<DownstreamException>(async () => await vault.Provider.RevokeAsync(handle, CancellationToken.None));

        Assert.Multiple(() =>
        {
            Assert.That(e!.Transient, Is.True);
            Assert.That(e.Message, Does.StartWith("Vault provider 'vault-a' could not revoke"));
        });
    }

    [Test]
    public async Task RevokeAsync_CallsNothing_ForAHandleWithoutALease()
    {
        var vault = Harness(VaultHarness.AppRole());

        await vault.Provider.RevokeAsync(vault.Provider.Plan("jti-1", Now.AddMinutes(5)), CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(vault.Vault.Requests, Is.Empty);
            Assert.That(vault.Logs.GetSnapshot().Select(r => r.Id.Id), Has.Member(3123));
        });
    }

    [Test]
    public async Task VerifyRevokedAsync_CountsAHandleWithoutALeaseDead_OnlyOnceTheRoleTtlBoundHasPassed()
    {
        // ExpiresAt + MaxTtl (5 min) + the longest issue: 2 × (RetryAttempts 2 + 1) × (Timeout 5 s + 30 s backoff cap) = 210 s.
        var time = new FakeTimeProvider(Now);
        var vault = Harness(VaultHarness.AppRole(), time);
        var plan = vault.Provider.Plan("jti-1", Now.AddMinutes(5));
        var bound = plan.ExpiresAt + TimeSpan.FromMinutes(5) + TimeSpan.FromSeconds(210);

        time.SetUtcNow(bound - TimeSpan.FromSeconds(1));
        var before = await vault.Provider.VerifyRevokedAsync(plan, CancellationToken.None);
        time.SetUtcNow(bound);
        var after = await vault.Provider.VerifyRevokedAsync(plan, CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(before, Is.False);
            Assert.That(after, Is.True);
            Assert.That(vault.Vault.Requests, Is.Empty, "nothing to ask Vault about");
        });
    }

    [Test]
    public void Describe_NamesAddressMountAndRole_NeverTheToken()
    {
        var vault = Harness(VaultHarness.Token(v => v.Namespace = "ns1/"));

        var description = vault.Provider.Describe();

        Assert.Multiple(() =>
        {
            Assert.That(description.Name, Is.EqualTo(VaultHarness.ProviderName));
            Assert.That(description.Kind, Is.EqualTo("vault"));
            Assert.That(description.Resource, Is.EqualTo(VaultHarness.Resource));
            Assert.That(description.Target, Is.EqualTo("https://vault.example:8200 (namespace ns1/), database/creds/my-role"));
            Assert.That(description.Grants, Does.Contain("my-role").And.Contain("database"));
            Assert.That(description.ToString(), Does.Not.Contain(VaultHarness.ConfiguredToken));
        });
    }

    [Test]
    public async Task No_password_or_token_appears_in_the_providers_logs()
    {
        var vault = Harness(VaultHarness.AppRole());
        vault.Vault.Then("approle-login").Then("database-creds").Then("lease-revoke").Then("lease-lookup");
        var issued = await vault.Provider.IssueAsync(vault.Provider.Plan("jti-1", Now.AddMinutes(5)), CancellationToken.None);
        await vault.Provider.RevokeAsync(issued.Handle, CancellationToken.None);
        await vault.Provider.VerifyRevokedAsync(issued.Handle, CancellationToken.None);

        var logs = vault.LogText().ToList();

        Assert.Multiple(() =>
        {
            Assert.That(logs, Has.Some.Contains(VaultHarness.LeaseId), "lease ids are logged: they are not secrets");
            Assert.That(logs, Has.None.Contains(VaultHarness.Password));
            Assert.That(logs, Has.None.Contains(VaultHarness.AppRoleToken));
            Assert.That(logs, Has.None.Contains(VaultHarness.SecretId));
        });
    }

    private VaultHarness Harness(ProviderOptions options, FakeTimeProvider? time = null) => _harness = new VaultHarness(options, time);
}
