using CredentialBroker.Client.Svids;

namespace CredentialBroker.Client;

/// <summary>
/// Where the broker is and how to authenticate to it: the options of one named client registered with
/// <see cref="BrokerClientServiceCollectionExtensions.AddCredentialBrokerClient(Microsoft.Extensions.DependencyInjection.IServiceCollection, string, Action{BrokerClientOptions})"/>.
/// Validated at start; every problem is reported at once.
/// </summary>
public sealed class BrokerClientOptions
{
    /// <summary>The broker's base URL, e.g. <c>https://broker.corp.example</c>. Required.</summary>
    public Uri? BrokerUrl { get; set; }

    /// <summary>
    /// The broker's issuer URL, the audience of the JWT-SVIDs the client presents. Default: <see cref="BrokerUrl"/>
    /// without a trailing slash (set it when the broker is reached through another name than its issuer).
    /// </summary>
    public string? Issuer { get; set; }

    /// <summary>Whether the broker must be reached over HTTPS. Default <see langword="true"/>; off only for a local development broker.</summary>
    public bool RequireHttps { get; set; } = true;

    /// <summary>How the client authenticates. Default <see cref="BrokerAuthentication.JwtSvid"/>.</summary>
    public BrokerAuthentication Authentication { get; set; } = BrokerAuthentication.JwtSvid;

    /// <summary>
    /// A PEM file of the authorities the broker's TLS certificate must chain to. Default: none, the system's trust store
    /// decides (set it when the broker's certificate comes from your SPIFFE or private CA).
    /// </summary>
    public string? BrokerCertificateAuthoritiesFile { get; set; }

    /// <summary>Where this workload's SVIDs come from: rotating files or the SPIFFE Workload API.</summary>
    public SvidSourceOptions Svids { get; set; } = new();

    /// <summary>
    /// How long before an exchanged access token expires <see cref="Agents.AgentClient.GetAccessTokenAsync"/> exchanges
    /// the task token again. Default 30 s; from 0 to 5 min.
    /// </summary>
    public TimeSpan RenewBefore { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often <see cref="Soc.SocClient.WatchRevocationAsync"/> asks for a bulk revocation's progress. Default 1 s; from 100 ms to 1 min.</summary>
    public TimeSpan ProgressInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The issuer in force: <see cref="Issuer"/>, or <see cref="BrokerUrl"/> without a trailing slash.</summary>
    public string EffectiveIssuer => Issuer ?? BrokerUrl?.AbsoluteUri.TrimEnd('/') ?? string.Empty;
}
