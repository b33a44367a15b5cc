using CredentialBroker.Abstractions;
using CredentialBroker.Abstractions.Revocation;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace CredentialBroker.Revoker;

/// <summary>Registers the revoker.</summary>
public static class RevokerServiceCollectionExtensions
{
    /// <summary>
    /// Adds the revoker's work (processor, work-queue worker, expiry sweeper, irrevocable retries, the reconciler of
    /// unconfirmed downstream secrets), the broker's own
    /// tokens' downstream revoker, metrics and validated <see cref="RevokerOptions"/>. The host schedules the work.
    /// Calling it twice is harmless.
    /// </summary>
    public static CredentialBrokerBuilder AddRevoker(this CredentialBrokerBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        services.AddOptions<RevokerOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RevokerOptions>, RevokerOptionsValidator>());
        services.AddRevokerPipelines();
        services.TryAddSingleton<RevokerMetrics>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IDownstreamRevoker, BrokerTokenRevoker>());
        services.TryAddSingleton<RevocationFeed>();
        services.TryAddSingleton<RevocationProcessor>();
        services.TryAddSingleton<ExpirySweeper>();
        services.TryAddSingleton<RevocationWorker>();
        services.TryAddSingleton<IrrevocableRetrier>();
        services.TryAddSingleton<IssueReconciler>();
        return builder;
    }
}
