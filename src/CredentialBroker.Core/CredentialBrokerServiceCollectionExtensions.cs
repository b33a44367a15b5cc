using CredentialBroker.Core.Exchange;
using CredentialBroker.Core.Identity;
using CredentialBroker.Core.Introspection;
using CredentialBroker.Core.Issuance;
using CredentialBroker.Core.Policy;
using CredentialBroker.Core.Revocation;
using CredentialBroker.Core.Soc;
using CredentialBroker.Core.Storage;
using CredentialBroker.Core.Tasks;
using CredentialBroker.Core.Tokens;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace CredentialBroker.Core;

/// <summary>Registers the broker's core services.</summary>
public static class CredentialBrokerServiceCollectionExtensions
{
    /// <summary>
    /// Adds the broker's core services and options validation. Calling it twice is harmless. The host must
    /// also register a <see cref="SigningKeyRing"/>, a <see cref="TrustBundleSet"/>, a <see cref="RoleMap"/>,
    /// an <see cref="IPolicySource"/>, an <see cref="IRevocationSignal"/>, metrics (<c>AddMetrics</c>) and a store.
    /// </summary>
    public static CredentialBrokerBuilder AddCredentialBroker(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions<CredentialBrokerOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<CredentialBrokerOptions>, CredentialBrokerOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddKeyedSingleton(BrokerTime.ServiceKey, TimeProvider.System);
        services.TryAddSingleton<JwtSvidValidator>();
        services.TryAddSingleton<BrokerTokenValidator>();
        services.TryAddSingleton<TokenFactory>();
        services.TryAddSingleton<TaskIssuanceService>();
        services.TryAddSingleton<TaskService>();
        services.TryAddSingleton<IntrospectionService>();
        services.TryAddSingleton<RevocationService>();
        services.TryAddSingleton<TokenExchangeService>();
        services.AddOptions<RevokerOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RevokerOptions>, RevokerOptionsValidator>());
        services.TryAddSingleton<RevokerMetrics>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IDownstreamRevoker, BrokerTokenRevoker>());
        services.TryAddSingleton<RevocationProcessor>();
        services.TryAddSingleton<ExpirySweeper>();
        services.TryAddSingleton<RevocationWorker>();
        services.TryAddSingleton<IrrevocableRetrier>();
        services.AddOptions<SocOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SocOptions>, SocOptionsValidator>());
        services.TryAddSingleton<SocRules>();
        services.TryAddSingleton<BulkRevocationService>();
        services.TryAddSingleton<IncidentService>();
        services.AddOptions<SsfOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SsfOptions>, SsfOptionsValidator>());
        services.TryAddSingleton<SsfReceiver>();
        return new CredentialBrokerBuilder(services);
    }

    /// <summary>Uses the embedded in-memory store (development mode and single-node trials; nothing survives a restart).</summary>
    public static CredentialBrokerBuilder UseEmbeddedStore(this CredentialBrokerBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.TryAddSingleton<InMemoryCredentialStore>();
        builder.Services.TryAddSingleton<ICredentialStore>(sp => sp.GetRequiredService<InMemoryCredentialStore>());
        builder.Services.TryAddSingleton<IRevokerStore>(sp => sp.GetRequiredService<InMemoryCredentialStore>());
        builder.Services.TryAddSingleton<ISocStore>(sp => sp.GetRequiredService<InMemoryCredentialStore>());
        builder.Services.TryAddSingleton<IRevocationFeed, InMemoryRevocationFeed>();
        builder.Services.TryAddSingleton<IRiskRegistry, InMemoryRiskRegistry>();
        return builder;
    }
}
