using CredentialBroker.Abstractions;
using CredentialBroker.Abstractions.Soc;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace CredentialBroker.Soc;

/// <summary>Registers the SOC features.</summary>
public static class SocServiceCollectionExtensions
{
    /// <summary>
    /// Adds bulk revocation (with the rules in force, which the issuing core consults as <see cref="IRevocationRules"/>),
    /// incidents and reports, the Shared Signals receiver, and validated <see cref="SocOptions"/> and <see cref="SsfOptions"/>.
    /// Calling it twice is harmless.
    /// </summary>
    public static CredentialBrokerBuilder AddSoc(this CredentialBrokerBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        services.AddOptions<SocOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SocOptions>, SocOptionsValidator>());
        services.AddOptions<SsfOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SsfOptions>, SsfOptionsValidator>());
        services.TryAddSingleton<SocRules>();
        services.TryAddSingleton<IRevocationRules>(sp => sp.GetRequiredService<SocRules>());
        services.TryAddSingleton<BulkRevocationService>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ISnapshot, SocRulesSnapshot>());
        services.TryAddSingleton<IncidentService>();
        services.TryAddSingleton<SsfReceiver>();
        return builder;
    }
}
