using CredentialBroker.Abstractions;
using CredentialBroker.Abstractions.Audit;
using CredentialBroker.Abstractions.Policy;
using CredentialBroker.Abstractions.RateLimiting;
using CredentialBroker.Abstractions.Soc;
using CredentialBroker.Abstractions.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace CredentialBroker.EmbeddedStore;

/// <summary>Chooses the embedded store.</summary>
public static class EmbeddedStoreBuilderExtensions
{
    /// <summary>Uses the embedded in-memory store (development mode and single-node trials; nothing survives a restart).</summary>
    public static CredentialBrokerBuilder UseEmbeddedStore(this CredentialBrokerBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.TryAddSingleton<InMemoryCredentialStore>();
        builder.Services.TryAddSingleton<ICredentialStore>(sp => sp.GetRequiredService<InMemoryCredentialStore>());
        builder.Services.TryAddSingleton<IRevokerStore>(sp => sp.GetRequiredService<InMemoryCredentialStore>());
        builder.Services.TryAddSingleton<IStatusListStore>(sp => sp.GetRequiredService<InMemoryCredentialStore>());
        builder.Services.TryAddSingleton<ISocStore>(sp => sp.GetRequiredService<InMemoryCredentialStore>());
        builder.Services.TryAddSingleton<ISsfStreamStore, InMemorySsfStreamStore>();
        builder.Services.TryAddSingleton<IProofReplayStore>(sp => sp.GetRequiredService<InMemoryCredentialStore>());
        builder.Services.TryAddSingleton<IAuditLog>(sp => sp.GetRequiredService<InMemoryCredentialStore>());
        builder.Services.TryAddSingleton<IRevocationFeed, InMemoryRevocationFeed>();
        builder.Services.TryAddSingleton<IRiskRegistry, InMemoryRiskRegistry>();
        builder.Services.TryAddSingleton<IRateLimitBuckets, InMemoryRateLimitBuckets>();
        return builder;
    }
}
