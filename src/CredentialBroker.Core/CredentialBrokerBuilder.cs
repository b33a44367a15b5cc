using Microsoft.Extensions.DependencyInjection;

namespace CredentialBroker.Core;

/// <summary>Returned by <see cref="CredentialBrokerServiceCollectionExtensions.AddCredentialBroker"/>, to choose a store and the rest.</summary>
public sealed class CredentialBrokerBuilder
{
    internal CredentialBrokerBuilder(IServiceCollection services) => Services = services;

    /// <summary>The service collection being configured.</summary>
    public IServiceCollection Services { get; }
}
