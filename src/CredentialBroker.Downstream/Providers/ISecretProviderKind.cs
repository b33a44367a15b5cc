namespace CredentialBroker.Downstream.Providers;

/// <summary>A kind of provider (<c>postgresql</c>, <c>redis</c>, <c>vault</c>): checks its settings and builds providers from them.</summary>
public interface ISecretProviderKind
{
    /// <summary>The kind's name, as <see cref="ProviderOptions.Kind"/> spells it.</summary>
    string Kind { get; }

    /// <summary>Adds every problem with the kind-specific settings of provider <paramref name="name"/> to <paramref name="failures"/>.</summary>
    void Validate(string name, ProviderOptions options, ICollection<string> failures);

    /// <summary>Builds the provider from settings that passed <see cref="Validate"/>.</summary>
    ISecretProvider Create(string name, ProviderOptions options, IServiceProvider services);
}
