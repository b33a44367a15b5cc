using CredentialBroker.Downstream.Providers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace CredentialBroker.Downstream.Vault;

/// <summary>The <c>vault</c> kind: checks <c>…:Vault</c> settings and builds <see cref="VaultSecretProvider"/>s.</summary>
internal sealed class VaultSecretProviderKind : ISecretProviderKind
{
    public const string Name = "vault";

    private static readonly TimeSpan MinTimeout = TimeSpan.FromMilliseconds(10);
    private static readonly TimeSpan MaxTimeout = TimeSpan.FromDays(1);
    private const int MaxRetryAttempts = 10;

    private const string NameRule =
        "'/'-separated segments of letters, digits, '_', '.' or '-' (none empty, '.' or '..', none ending in '.'), without a leading or trailing '/'";

    public string Kind => Name;

    public void Validate(string name, ProviderOptions options, ICollection<string> failures)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(failures);
        var at = $"{DownstreamOptions.SectionName}:Providers:{name}:Vault";
        var vault = options.Vault;
        if (vault is null)
        {
            failures.Add($"{at} is required: Address, Mount, Role and Auth.");
            return;
        }

        if (string.IsNullOrWhiteSpace(vault.Address))
        {
            failures.Add($"{at}:Address is required: Vault's address, e.g. https://vault.example:8200.");
        }
        else if (!Uri.TryCreate(vault.Address, UriKind.Absolute, out var address)
                 || address.Scheme is not ("https" or "http")
                 || address.UserInfo.Length > 0
                 || address.Query.Length > 0
                 || address.Fragment.Length > 0
                 || vault.Address.Contains('#', StringComparison.Ordinal)
                 || vault.Address.Contains('?', StringComparison.Ordinal))
        {
            failures.Add($"{at}:Address must be an absolute http or https URL without user info, query or fragment, e.g. https://vault.example:8200.");
        }

        RequireName(vault.Mount, $"{at}:Mount", "the secrets engine mount, e.g. database", failures);
        RequireName(vault.Role, $"{at}:Role", "the role whose credentials are read", failures);

        if (vault.Namespace is { Length: > 0 } ns && !VaultPath.IsValidNamespace(ns))
        {
            failures.Add($"{at}:Namespace must be {NameRule} (one trailing '/' allowed).");
        }

        if (vault.Timeout < MinTimeout || vault.Timeout > MaxTimeout)
        {
            failures.Add($"{at}:Timeout must be positive: between 10 ms and 1 day.");
        }

        if (vault.RetryAttempts is < 0 or > MaxRetryAttempts)
        {
            failures.Add($"{at}:RetryAttempts must be between 0 and {MaxRetryAttempts}.");
        }

        if (vault.RetryDelay < TimeSpan.Zero || vault.RetryDelay > VaultHttp.MaxRetryDelay)
        {
            failures.Add($"{at}:RetryDelay must be between 0 and 30 s.");
        }

        ValidateAuth(vault.Auth, $"{at}:Auth", failures);
    }

    public ISecretProvider Create(string name, ProviderOptions options, IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(services);
        var time = services.GetService<TimeProvider>() ?? TimeProvider.System;
        var logs = services.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance;
        var client = new VaultClient(name, options.Vault, services.GetRequiredService<IHttpClientFactory>(), time, logs.CreateLogger<VaultClient>());
        return new VaultSecretProvider(name, options, client, time, logs.CreateLogger<VaultSecretProvider>());
    }

    private static void ValidateAuth(VaultAuthOptions? auth, string at, ICollection<string> failures)
    {
        if (auth is null)
        {
            failures.Add($"{at} is required: Method token (with Token or TokenFile) or approle (with RoleId and SecretId or SecretIdFile).");
            return;
        }

        switch (auth.Method)
        {
            case "token":
                ExactlyOne(auth.Token, auth.TokenFile, $"{at}:Token", $"{at}:TokenFile", failures);
                break;
            case "approle":
                RequireName(auth.Mount, $"{at}:Mount", "the AppRole auth mount, e.g. approle", failures);
                if (string.IsNullOrWhiteSpace(auth.RoleId))
                {
                    failures.Add($"{at}:RoleId is required for Method approle.");
                }

                ExactlyOne(auth.SecretId, auth.SecretIdFile, $"{at}:SecretId", $"{at}:SecretIdFile", failures);
                break;
            default:
                failures.Add($"{at}:Method must be token or approle.");
                break;
        }
    }

    private static void RequireName(string? value, string setting, string what, ICollection<string> failures)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            failures.Add($"{setting} is required: {what}.");
        }
        else if (!VaultPath.IsValid(value))
        {
            failures.Add($"{setting} must be {NameRule}.");
        }
    }

    private static void ExactlyOne(string? value, string? file, string valueSetting, string fileSetting, ICollection<string> failures)
    {
        var hasValue = !string.IsNullOrWhiteSpace(value);
        var hasFile = !string.IsNullOrWhiteSpace(file);
        if (hasValue == hasFile)
        {
            // Never quote either: one of them is a secret.
            failures.Add($"Exactly one of {valueSetting} and {fileSetting} must be set (prefer the file in production).");
        }
    }
}
