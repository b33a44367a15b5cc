using Microsoft.Extensions.DependencyInjection;

namespace CredentialBroker.Abstractions;

/// <summary>Returned by <c>AddCredentialBroker</c>: the revoker, the SOC features and a store are added to it.</summary>
public sealed class CredentialBrokerBuilder
{
    /// <summary>Wraps the service collection being configured.</summary>
    public CredentialBrokerBuilder(IServiceCollection services) => Services = services;

    /// <summary>The service collection being configured.</summary>
    public IServiceCollection Services { get; }
}
