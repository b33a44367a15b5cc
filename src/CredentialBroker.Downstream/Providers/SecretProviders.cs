using Microsoft.Extensions.Options;

namespace CredentialBroker.Downstream.Providers;

/// <summary>
/// The configured providers, built once from validated options: found by resource (for an exchange) or by name (for a
/// record). Disposing it disposes the providers (their connection pools).
/// </summary>
public sealed class SecretProviders : IAsyncDisposable, IDisposable
{
    private readonly Dictionary<string, ISecretProvider> _byName;
    private readonly Dictionary<string, ISecretProvider> _byResource;

    /// <summary>Builds every configured provider.</summary>
    public SecretProviders(IOptions<DownstreamOptions> options, IEnumerable<ISecretProviderKind> kinds, IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(options);
        var known = kinds.ToDictionary(k => k.Kind, StringComparer.Ordinal);
        _byName = options.Value.Providers.ToDictionary(
            p => p.Key,
            p => known[p.Value.Kind!].Create(p.Key, p.Value, services),
            StringComparer.Ordinal);
        _byResource = _byName.Values.ToDictionary(p => p.Resource, StringComparer.Ordinal);
    }

    /// <summary>Every provider.</summary>
    public IEnumerable<ISecretProvider> All => _byName.Values;

    /// <summary>The provider serving <paramref name="resource"/>, or <see langword="null"/>.</summary>
    public ISecretProvider? ForResource(string resource) => _byResource.GetValueOrDefault(resource);

    /// <summary>The provider named <paramref name="name"/>, or <see langword="null"/> (a record of a provider since removed from the configuration).</summary>
    public ISecretProvider? ByName(string name) => _byName.GetValueOrDefault(name);

    /// <summary>Disposes every provider that holds resources.</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var provider in _byName.Values)
        {
            switch (provider)
            {
                case IAsyncDisposable asynchronous:
                    await asynchronous.DisposeAsync();
                    break;
                case IDisposable disposable:
                    disposable.Dispose();
                    break;
            }
        }
    }

    /// <summary>Disposes every provider that holds resources (for containers disposed synchronously).</summary>
    public void Dispose()
    {
        foreach (var provider in _byName.Values)
        {
            switch (provider)
            {
                case IDisposable disposable:
                    disposable.Dispose();
                    break;
                case IAsyncDisposable asynchronous:
                    asynchronous.DisposeAsync().AsTask().GetAwaiter().GetResult();
                    break;
            }
        }
    }
}
