using Microsoft.Extensions.DependencyInjection;

namespace CredentialBroker.Client;

/// <summary>What <see cref="BrokerClientServiceCollectionExtensions.AddCredentialBrokerClient(IServiceCollection, string, Action{BrokerClientOptions})"/> registered, to configure further.</summary>
public sealed class BrokerClientBuilder
{
    internal BrokerClientBuilder(string name, IServiceCollection services, IHttpClientBuilder httpClient)
    {
        Name = name;
        Services = services;
        HttpClient = httpClient;
    }

    /// <summary>The client's name: the key of its keyed services and options.</summary>
    public string Name { get; }

    /// <summary>The service collection.</summary>
    public IServiceCollection Services { get; }

    /// <summary>
    /// The <see cref="IHttpClientFactory"/> client every call to the broker goes through (resilience handler included).
    /// Add handlers here — a proxy, logging, or a DPoP proof handler (RFC 9449) that signs each token request.
    /// </summary>
    public IHttpClientBuilder HttpClient { get; }
}
