using CredentialBroker.Downstream.Providers;
using CredentialBroker.Downstream.Vault;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;

namespace CredentialBroker.Downstream.Tests.Vault;

/// <summary>
/// The downstream services as a host builds them (<c>AddDownstreamSecrets</c>, options under a provider name), with the
/// Vault HttpClient's primary handler swapped for a <see cref="RecordingVault"/> and every log, at every level, collected.
/// </summary>
internal sealed class VaultHarness : IDisposable
{
    public const string ProviderName = "vault-a";
    public const string Resource = "vault://payments";

    // The sample credentials of api-docs/auth/approle, "Login with AppRole".
    public const string RoleId = "59d6d1ca-47bb-4e7e-a40b-8be3bc5a0ba8";
    public const string SecretId = "84896a0c-1347-aa90-a4f6-aca8b7558780";
    public const string AppRoleToken = "5b1a0318-679c-9c45-e5c6-d1b9a9035d49";

    // The sample token of api-docs/auth/token, "Lookup a Token (Self)" (its data.id).
    public const string ConfiguredToken = "cf64a70f-3a12-3f6c-791d-6cef6d390eed";

    // The sample password of docs/secrets/databases, "Usage".
    public const string Password = "FSREZ1S0kFsZtLat-y94";
    public const string LeaseId = "database/creds/my-role/2f6a614c-4aa2-7b19-24b9-ad944a8d4de6";

    private readonly ServiceProvider _services;

    public VaultHarness(ProviderOptions options, FakeTimeProvider? time = null, bool recorded = true, bool addTwice = false)
    {
        Options = options;
        Time = time;
        var services = new ServiceCollection();
        services.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Trace));
        services.AddFakeLogging(o => o.CollectRecordsForDisabledLogLevels = true);
        services.AddDownstreamSecrets();
        if (addTwice)
        {
            services.AddDownstreamSecrets();
        }

        services.Configure<DownstreamOptions>(o => o.Providers[ProviderName] = options);
        if (time is not null)
        {
            services.AddSingleton<TimeProvider>(time);
        }

        if (recorded)
        {
            services.AddHttpClient(VaultHttp.ClientName).ConfigurePrimaryHttpMessageHandler(() => Vault);
        }

        _services = services.BuildServiceProvider();
        Vault.Namespace = options.Vault.Namespace;
    }

    public RecordingVault Vault { get; } = new();

    public ProviderOptions Options { get; }

    public FakeTimeProvider? Time { get; }

    public FakeLogCollector Logs => _services.GetRequiredService<FakeLogCollector>();

    public SecretProviders Providers => _services.GetRequiredService<SecretProviders>();

    public ISecretProvider Provider => Providers.ByName(ProviderName)!;

    /// <summary>A client of its own for the configured provider (its pipeline is the provider's), with its own clock.</summary>
    public VaultClient Client(TimeProvider? time = null) => new(
        ProviderName,
        Options.Vault,
        _services.GetRequiredService<IHttpClientFactory>(),
        time ?? TimeProvider.System,
        _services.GetRequiredService<ILogger<VaultClient>>());

    /// <summary>A provider that logs in with AppRole (the documentation's sample role id and secret id).</summary>
    public static ProviderOptions AppRole(Action<VaultProviderOptions>? configure = null)
    {
        var options = new ProviderOptions
        {
            Kind = "vault",
            Resource = Resource,
            Vault = new VaultProviderOptions
            {
                Address = "https://vault.example:8200",
                Mount = "database",
                Role = "my-role",
                Timeout = TimeSpan.FromSeconds(5),
                RetryAttempts = 2,
                RetryDelay = TimeSpan.FromMilliseconds(1),
                Auth = new VaultAuthOptions { Method = "approle", RoleId = RoleId, SecretId = SecretId },
            },
        };
        configure?.Invoke(options.Vault);
        return options;
    }

    /// <summary>A provider that logs in with a configured token.</summary>
    public static ProviderOptions Token(Action<VaultProviderOptions>? configure = null) => AppRole(vault =>
    {
        vault.Auth = new VaultAuthOptions { Method = "token", Token = ConfiguredToken };
        configure?.Invoke(vault);
    });

    /// <summary>Every log record's text: message, structured values, exception and its inner ones.</summary>
    public IEnumerable<string> LogText()
    {
        foreach (var record in Logs.GetSnapshot())
        {
            yield return record.Message;
            foreach (var (key, value) in record.StructuredState ?? [])
            {
                yield return $"{key}={value}";
            }

            for (var e = record.Exception; e is not null; e = e.InnerException)
            {
                yield return e.ToString();
            }
        }
    }

    public void Dispose() => _services.Dispose();
}
