using CredentialBroker.Downstream.Providers;
using CredentialBroker.Downstream.Vault;
using Microsoft.Extensions.Options;

namespace CredentialBroker.Downstream.Tests.Vault;

/// <summary>
/// The <c>vault</c> settings as the start-up validator sees them: each bad setting is named, every failure is reported at
/// once, and each rejection has a twin that is accepted.
/// </summary>
public sealed class VaultOptionsValidationTests
{
    private const string At = "CredentialBroker:Downstream:Providers:vault-a:Vault";

    [Test]
    public void A_token_provider_is_accepted() => Assert.That(Validate(VaultHarness.Token()), Is.Empty);

    [Test]
    public void An_approle_provider_with_a_secret_id_file_is_accepted() =>
        Assert.That(Validate(VaultHarness.AppRole(v => (v.Auth.SecretId, v.Auth.SecretIdFile) = (null, "/run/secrets/vault-secret-id"))), Is.Empty);

    [Test]
    public void Every_bad_setting_is_reported_at_once()
    {
        var options = new ProviderOptions
        {
            Kind = "vault",
            Resource = "vault://payments",
            Vault = new VaultProviderOptions
            {
                Address = "vault.example:8200/v1?x",
                Mount = "/database",
                Role = null,
                Namespace = "ns1//",
                Timeout = TimeSpan.Zero,
                RetryAttempts = -1,
                RetryDelay = TimeSpan.FromMinutes(1),
                Auth = new VaultAuthOptions { Method = "approle", Mount = "approle/" },
            },
        };

        var failures = Validate(options);

        Assert.Multiple(() =>
        {
            Assert.That(failures, Has.Some.StartsWith($"{At}:Address must be"));
            Assert.That(failures, Has.Some.StartsWith($"{At}:Mount must be"));
            Assert.That(failures, Has.Some.StartsWith($"{At}:Role is required"));
            Assert.That(failures, Has.Some.StartsWith($"{At}:Namespace must be"));
            Assert.That(failures, Has.Some.StartsWith($"{At}:Timeout must be positive"));
            Assert.That(failures, Has.Some.StartsWith($"{At}:RetryAttempts"));
            Assert.That(failures, Has.Some.StartsWith($"{At}:RetryDelay"));
            Assert.That(failures, Has.Some.StartsWith($"{At}:Auth:Mount must be"));
            Assert.That(failures, Has.Some.StartsWith($"{At}:Auth:RoleId is required"));
            Assert.That(failures, Has.Some.Contains($"{At}:Auth:SecretId and {At}:Auth:SecretIdFile"));
            Assert.That(failures, Has.Count.EqualTo(10));
        });
    }

    [TestCase(null, "is required")]
    [TestCase("", "is required")]
    [TestCase("vault.example:8200", "must be")]
    [TestCase("/v1", "must be")]
    [TestCase("ftp://vault.example", "must be")]
    [TestCase("https://user:pw@vault.example:8200", "must be")]
    [TestCase("https://vault.example:8200/?x=1", "must be")]
    [TestCase("https://vault.example:8200/#f", "must be")]
    public void A_bad_address_is_refused(string? address, string says) =>
        AssertOnlyFailure(Validate(VaultHarness.Token(v => v.Address = address)), $"{At}:Address {says}");

    [TestCase("https://vault.example:8200")]
    [TestCase("https://vault.example:8200/")]
    [TestCase("http://127.0.0.1:8200")]
    [TestCase("https://proxy.example/vault")]
    public void A_good_address_is_accepted(string address) => Assert.That(Validate(VaultHarness.Token(v => v.Address = address)), Is.Empty);

    [TestCase("/database")]
    [TestCase("database/")]
    [TestCase("team//database")]
    [TestCase("../sys")]
    [TestCase("team/./database")]
    [TestCase("team/../sys")]
    [TestCase("data base")]
    [TestCase("database.")]
    [TestCase("sys%2fleases")]
    [TestCase("database?x=1")]
    [TestCase("dätabase")]
    public void A_bad_mount_or_role_is_refused(string name)
    {
        Assert.Multiple(() =>
        {
            AssertOnlyFailure(Validate(VaultHarness.Token(v => v.Mount = name)), $"{At}:Mount must be");
            AssertOnlyFailure(Validate(VaultHarness.Token(v => v.Role = name)), $"{At}:Role must be");
        });
    }

    [TestCase("database")]
    [TestCase("team-a/database")]
    [TestCase("db_1.prod")]
    [TestCase("..a")]
    public void A_good_mount_or_role_is_accepted(string name)
    {
        Assert.Multiple(() =>
        {
            Assert.That(Validate(VaultHarness.Token(v => v.Mount = name)), Is.Empty);
            Assert.That(Validate(VaultHarness.Token(v => v.Role = name)), Is.Empty);
        });
    }

    [Test]
    public void A_token_and_a_token_file_together_are_refused_without_quoting_the_token()
    {
        var failures = Validate(VaultHarness.Token(v => v.Auth.TokenFile = "/run/secrets/vault-token"));

        Assert.Multiple(() =>
        {
            Assert.That(failures, Is.EqualTo(new[] { $"Exactly one of {At}:Auth:Token and {At}:Auth:TokenFile must be set (prefer the file in production)." }));
            Assert.That(failures, Has.None.Contains(VaultHarness.ConfiguredToken));
        });
    }

    [Test]
    public void Neither_token_nor_token_file_is_refused() =>
        AssertOnlyFailure(Validate(VaultHarness.Token(v => v.Auth.Token = null)), $"Exactly one of {At}:Auth:Token");

    [Test]
    public void A_token_file_alone_is_accepted() =>
        Assert.That(Validate(VaultHarness.Token(v => (v.Auth.Token, v.Auth.TokenFile) = (null, "/run/secrets/vault-token"))), Is.Empty);

    [Test]
    public void A_secret_id_and_a_secret_id_file_together_are_refused_without_quoting_the_secret_id()
    {
        var failures = Validate(VaultHarness.AppRole(v => v.Auth.SecretIdFile = "/run/secrets/vault-secret-id"));

        Assert.Multiple(() =>
        {
            Assert.That(failures, Has.One.StartsWith($"Exactly one of {At}:Auth:SecretId and {At}:Auth:SecretIdFile"));
            Assert.That(failures, Has.None.Contains(VaultHarness.SecretId));
        });
    }

    [Test]
    public void An_approle_provider_without_a_role_id_is_refused() =>
        Assert.That(Validate(VaultHarness.AppRole(v => v.Auth.RoleId = " ")), Is.EqualTo(new[] { $"{At}:Auth:RoleId is required for Method approle." }));

    [Test]
    public void An_unknown_auth_method_is_refused() =>
        Assert.That(Validate(VaultHarness.AppRole(v => v.Auth.Method = "ldap")), Is.EqualTo(new[] { $"{At}:Auth:Method must be token or approle." }));

    [TestCase(0)]
    [TestCase(-1000)]
    [TestCase(5)]
    public void A_timeout_that_is_not_positive_or_below_10_ms_is_refused(int milliseconds) =>
        AssertOnlyFailure(Validate(VaultHarness.Token(v => v.Timeout = TimeSpan.FromMilliseconds(milliseconds))), $"{At}:Timeout must be positive");

    [TestCase(10)]
    [TestCase(30_000)]
    public void A_positive_timeout_is_accepted(int milliseconds) =>
        Assert.That(Validate(VaultHarness.Token(v => v.Timeout = TimeSpan.FromMilliseconds(milliseconds))), Is.Empty);

    [TestCase(-1)]
    [TestCase(11)]
    public void Retry_attempts_outside_0_to_10_are_refused(int attempts) =>
        AssertOnlyFailure(Validate(VaultHarness.Token(v => v.RetryAttempts = attempts)), $"{At}:RetryAttempts");

    [TestCase(0)]
    [TestCase(10)]
    public void Retry_attempts_from_0_to_10_are_accepted(int attempts) =>
        Assert.That(Validate(VaultHarness.Token(v => v.RetryAttempts = attempts)), Is.Empty);

    [TestCase("ns1//")]
    [TestCase("/ns1")]
    [TestCase("ns 1")]
    public void A_bad_namespace_is_refused(string ns) =>
        AssertOnlyFailure(Validate(VaultHarness.Token(v => v.Namespace = ns)), $"{At}:Namespace must be");

    [TestCase("ns1")]
    [TestCase("ns1/ns2/")]
    public void A_good_namespace_is_accepted(string ns) =>
        Assert.That(Validate(VaultHarness.Token(v => v.Namespace = ns)), Is.Empty);

    [Test]
    public void The_defaults_of_the_vault_settings_are_valid()
    {
        var defaults = new VaultProviderOptions();

        Assert.Multiple(() =>
        {
            Assert.That(defaults.Timeout, Is.EqualTo(TimeSpan.FromSeconds(5)));
            Assert.That(defaults.RetryAttempts, Is.EqualTo(3));
            Assert.That(defaults.RetryDelay, Is.EqualTo(TimeSpan.FromMilliseconds(200)));
            Assert.That(defaults.Auth.Method, Is.EqualTo("token"));
            Assert.That(defaults.Auth.Mount, Is.EqualTo("approle"));
            Assert.That(Validate(VaultHarness.Token(v => (v.Timeout, v.RetryAttempts, v.RetryDelay) = (defaults.Timeout, defaults.RetryAttempts, defaults.RetryDelay))), Is.Empty);
        });
    }

    private static void AssertOnlyFailure(List<string> failures, string prefix) =>
        Assert.That(failures, Has.Count.EqualTo(1).And.All.StartsWith(prefix));

    private static List<string> Validate(ProviderOptions provider)
    {
        var options = new DownstreamOptions();
        options.Providers["vault-a"] = provider;
        var result = new DownstreamOptionsValidator([new VaultSecretProviderKind()]).Validate(null, options);
        return result.Succeeded ? [] : [.. result.Failures ?? []];
    }
}
