namespace CredentialBroker.Downstream.Providers;

/// <summary>The downstream secret providers, bound from <c>CredentialBroker:Downstream</c> (API.md "Downstream secrets").</summary>
public sealed class DownstreamOptions
{
    /// <summary>The configuration section these options bind from.</summary>
    public const string SectionName = "CredentialBroker:Downstream";

    /// <summary>The providers by name. Default: none (the broker issues no downstream secrets).</summary>
    public IDictionary<string, ProviderOptions> Providers { get; } = new Dictionary<string, ProviderOptions>(StringComparer.Ordinal);
}
