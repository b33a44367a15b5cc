using CredentialBroker.Downstream.PostgreSql;
using CredentialBroker.Downstream.Providers;
using CredentialBroker.Downstream.RedisAcl;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CredentialBroker.Downstream.Tests;

/// <summary>AddDownstreamSecrets wires both kinds, validates at start and disposes the providers with the container.</summary>
public sealed class RegistrationTests
{
    private static ServiceProvider Build(Action<DownstreamOptions> configure)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddDownstreamSecrets();
        services.AddDownstreamSecrets();
        services.Configure(configure);
        return services.BuildServiceProvider();
    }

    [Test]
    public void Every_kind_is_registered_once_even_when_added_twice()
    {
        using var services = Build(_ => { });

        var kinds = services.GetServices<ISecretProviderKind>().ToList();

        Assert.Multiple(() =>
        {
            Assert.That(kinds.Select(k => k.Kind), Is.EquivalentTo(new[] { "postgresql", "redis", "vault" }));
            Assert.That(kinds.Select(k => k.GetType()), Is.EquivalentTo(new[] { typeof(PostgreSqlProviderKind), typeof(RedisAclProviderKind), typeof(CredentialBroker.Downstream.Vault.VaultSecretProviderKind) }));
            Assert.That(services.GetServices<IValidateOptions<DownstreamOptions>>().Count(), Is.EqualTo(1));
        });
    }

    [Test]
    public async Task Configured_providers_are_built_found_by_resource_and_disposed_with_the_container()
    {
        var services = Build(o =>
        {
            o.Providers["payments"] = PostgreSql.PostgreSqlScenario.Options(DownstreamFixture.Postgres.AdminConnectionString, "pg_read_all_data");
            o.Providers["sessions"] = RedisAcl.RedisAclScenario.Options(DownstreamFixture.Server.ConnectionString, "~s:* +get");
        });

        var providers = services.GetRequiredService<SecretProviders>();
        var postgres = providers.ForResource("postgres://payments");
        var redis = providers.ByName("sessions");
        var plan = postgres!.Plan(Secrets.NewId(), Secrets.ExpiresAt());
        await services.DisposeAsync();

        Assert.Multiple(async () =>
        {
            Assert.That(postgres, Is.InstanceOf<PostgreSqlSecretProvider>());
            Assert.That(redis, Is.InstanceOf<RedisAclSecretProvider>());
            Assert.That(redis!.Resource, Is.EqualTo("redis://sessions"));
            await Assert.CatchAsync<ObjectDisposedException>(async () => await postgres.IssueAsync(plan, CancellationToken.None), "its data source was disposed");
        });
    }

    [Test]
    public void Invalid_settings_fail_at_start_with_every_problem_and_valid_ones_pass()
    {
        using var invalid = Build(o =>
        {
            o.Providers["payments"] = PostgreSql.PostgreSqlScenario.Options("Host=db;Username=a;Password=p", "bad role");
            o.Providers["sessions"] = RedisAcl.RedisAclScenario.Options("127.0.0.1:6379", "on ~s:*");
        });
        using var valid = Build(o =>
        {
            o.Providers["payments"] = PostgreSql.PostgreSqlScenario.Options("Host=db;Username=a;Password=p", "good_role");
            o.Providers["sessions"] = RedisAcl.RedisAclScenario.Options("127.0.0.1:6379", "~s:* +get");
        });

        var failure = Assert.Throws<OptionsValidationException>(() => _ = invalid.GetRequiredService<IOptions<DownstreamOptions>>().Value);

        Assert.Multiple(() =>
        {
            Assert.That(failure!.Failures.Count(), Is.EqualTo(2));
            Assert.That(failure.Failures, Has.One.Contains("payments:Roles:0"));
            Assert.That(failure.Failures, Has.One.Contains("sessions:Acl"));
            Assert.That(valid.GetRequiredService<IOptions<DownstreamOptions>>().Value.Providers, Has.Count.EqualTo(2));
        });
    }
}
