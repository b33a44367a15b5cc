using CredentialBroker.Abstractions.Revocation;
using CredentialBroker.Abstractions.Secrets;
using CredentialBroker.Downstream.Broker;
using CredentialBroker.Downstream.PostgreSql;
using CredentialBroker.Downstream.Providers;
using CredentialBroker.Downstream.RedisAcl;
using CredentialBroker.Downstream.Vault;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace CredentialBroker.Downstream;

/// <summary>Registers the downstream secret providers.</summary>
public static class DownstreamServiceCollectionExtensions
{
    /// <summary>
    /// Adds the provider kinds (<c>postgresql</c>, <c>redis</c>, <c>vault</c>), the validated <see cref="DownstreamOptions"/> (bind them from
    /// <see cref="DownstreamOptions.SectionName"/>), the <see cref="SecretProviders"/> built from them, and the broker's ports over them:
    /// the secret issuer the token exchange uses and the downstream revoker the revoker uses. Calling it twice is harmless.
    /// </summary>
    public static IServiceCollection AddDownstreamSecrets(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions<DownstreamOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ISecretProviderKind, PostgreSqlProviderKind>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ISecretProviderKind, RedisAclProviderKind>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<DownstreamOptions>, DownstreamOptionsValidator>());
        services.TryAddSingleton<SecretProviders>();
        services.TryAddSingleton<ISecretIssuer, ProviderSecretIssuer>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IDownstreamRevoker, ProviderSecretRevoker>());

        // vault: the kind, and the named HttpClient with its resilience pipeline (added once: a second pipeline would
        // multiply the retries).
        var vault = ServiceDescriptor.Singleton<ISecretProviderKind, VaultSecretProviderKind>();
        if (!services.Any(d => d.ServiceType == vault.ServiceType && d.ImplementationType == vault.ImplementationType))
        {
            services.AddVaultHttpClient();
        }

        services.TryAddEnumerable(vault);
        return services;
    }
}
