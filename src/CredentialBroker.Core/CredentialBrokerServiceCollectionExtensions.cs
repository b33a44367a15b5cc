using CredentialBroker.Abstractions;
using CredentialBroker.Core.Exchange;
using CredentialBroker.Core.Identity;
using CredentialBroker.Core.Introspection;
using CredentialBroker.Core.Issuance;
using CredentialBroker.Core.ProofOfPossession;
using CredentialBroker.Core.Revocation;
using CredentialBroker.Core.Risk;
using CredentialBroker.Core.Tasks;
using CredentialBroker.Core.Tokens;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace CredentialBroker.Core;

/// <summary>Registers the broker's issuing core.</summary>
public static class CredentialBrokerServiceCollectionExtensions
{
    /// <summary>
    /// Adds the issuing core (issuance, exchange, introspection, RFC 7009 revocation, tokens, DPoP proofs) and the validation of
    /// <see cref="CredentialBrokerOptions"/>. Calling it twice is harmless. The returned builder adds the revoker
    /// (<c>AddRevoker</c>), the SOC features (<c>AddSoc</c>, which provides the revocation rules the core consults) and a
    /// store (<c>UseEmbeddedStore</c> or <c>UseRedisStore</c>, which also keep DPoP proofs from being replayed). The host must also register a <see cref="SigningKeyRing"/>,
    /// a <see cref="TrustBundleSet"/>, a <see cref="RoleMap"/>, an <c>IPolicySource</c> and an <c>IRevocationSignal</c>.
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
        services.TryAddSingleton<StatusListPublisher>();
        services.TryAddSingleton<TaskRules>();
        services.TryAddSingleton<TaskIssuanceService>();
        services.TryAddSingleton<TaskService>();
        services.TryAddSingleton<ContinuationService>();
        services.TryAddSingleton<Audit.AuditCheckpointSigner>();
        services.TryAddSingleton<Audit.AuditVerifier>();
        services.TryAddSingleton<Audit.AuditTraceService>();
        services.TryAddSingleton<IntrospectionService>();
        services.TryAddSingleton<RevocationService>();
        services.TryAddSingleton<TokenExchangeService>();
        services.TryAddSingleton<DpopProofValidator>();
        services.TryAddSingleton<DpopNonces>();
        services.TryAddSingleton<RiskLevelService>();
        return new CredentialBrokerBuilder(services);
    }
}
