using System.Security.Cryptography.X509Certificates;
using CredentialBroker.Client.Agents;
using CredentialBroker.Client.Audit;
using CredentialBroker.Client.Operators;
using CredentialBroker.Client.Orchestrators;
using CredentialBroker.Client.Soc;
using CredentialBroker.Client.Svids;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CredentialBroker.Client;

/// <summary>Registers the CredentialBroker client for orchestrators, agents and the SOC.</summary>
public static class BrokerClientServiceCollectionExtensions
{
    /// <summary>
    /// Registers the default client: <see cref="OrchestratorClient"/>, <see cref="AgentClient"/>, <see cref="SocClient"/>,
    /// <see cref="OperatorClient"/>, <see cref="AuditClient"/> and the <see cref="ISvidSource"/> they authenticate with, as singletons.
    /// </summary>
    public static BrokerClientBuilder AddCredentialBrokerClient(this IServiceCollection services, Action<BrokerClientOptions> configure) =>
        services.AddCredentialBrokerClient(Options.DefaultName, configure);

    /// <summary>
    /// Registers a client named <paramref name="name"/> — for a process that acts as several workloads, an agent and
    /// its sub-agent say: its role clients and SVID source are keyed services under <paramref name="name"/>
    /// (<c>GetRequiredKeyedService&lt;AgentClient&gt;(name)</c>); the default name also registers them unkeyed. Calls
    /// go through an <see cref="IHttpClientFactory"/> client with the standard resilience handler (see
    /// <see cref="BrokerClientBuilder.HttpClient"/>). Options are validated when first used, every problem at once.
    /// </summary>
    public static BrokerClientBuilder AddCredentialBrokerClient(this IServiceCollection services, string name, Action<BrokerClientOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<BrokerClientOptions>(name).Configure(configure).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<BrokerClientOptions>, BrokerClientOptionsValidator>());
        services.AddLogging();
        services.TryAddSingleton(TimeProvider.System);

        services.TryAddKeyedSingleton<ISvidSource>(name, (sp, _) => CreateSvidSource(sp, Settings(sp, name)));
        services.TryAddKeyedSingleton(name, (sp, _) => new ClientCertificateSelector(Authorities(Settings(sp, name))));
        var http = services.AddHttpClient(HttpClientName(name))
            .ConfigurePrimaryHttpMessageHandler(sp => sp.GetRequiredKeyedService<ClientCertificateSelector>(name).CreateHandler());
        http.AddStandardResilienceHandler(o => o.Retry.ShouldHandle = BrokerRetry.ShouldRetry);
        services.TryAddKeyedSingleton(name, (sp, _) => new BrokerChannel(
            name,
            sp.GetRequiredService<IHttpClientFactory>(),
            sp.GetRequiredService<IOptionsMonitor<BrokerClientOptions>>(),
            sp.GetRequiredKeyedService<ISvidSource>(name),
            sp.GetRequiredKeyedService<ClientCertificateSelector>(name)));
        services.TryAddKeyedSingleton(name, (sp, _) => new OrchestratorClient(sp.GetRequiredKeyedService<BrokerChannel>(name)));
        services.TryAddKeyedSingleton(name, (sp, _) => new AgentClient(sp.GetRequiredKeyedService<BrokerChannel>(name), sp.GetRequiredService<TimeProvider>()));
        services.TryAddKeyedSingleton(name, (sp, _) => new SocClient(sp.GetRequiredKeyedService<BrokerChannel>(name), sp.GetRequiredService<TimeProvider>()));
        services.TryAddKeyedSingleton(name, (sp, _) => new OperatorClient(sp.GetRequiredKeyedService<BrokerChannel>(name)));
        services.TryAddKeyedSingleton(name, (sp, _) => new AuditClient(sp.GetRequiredKeyedService<BrokerChannel>(name)));
        if (name == Options.DefaultName)
        {
            services.TryAddSingleton(sp => sp.GetRequiredKeyedService<ISvidSource>(name));
            services.TryAddSingleton(sp => sp.GetRequiredKeyedService<OrchestratorClient>(name));
            services.TryAddSingleton(sp => sp.GetRequiredKeyedService<AgentClient>(name));
            services.TryAddSingleton(sp => sp.GetRequiredKeyedService<SocClient>(name));
            services.TryAddSingleton(sp => sp.GetRequiredKeyedService<OperatorClient>(name));
            services.TryAddSingleton(sp => sp.GetRequiredKeyedService<AuditClient>(name));
        }

        return new BrokerClientBuilder(name, services, http);
    }

    /// <summary>The name of the <see cref="IHttpClientFactory"/> client of the broker client <paramref name="name"/>.</summary>
    public static string HttpClientName(string name) => string.IsNullOrEmpty(name) ? "CredentialBroker.Client.Broker" : "CredentialBroker.Client.Broker." + name;

    private static BrokerClientOptions Settings(IServiceProvider services, string name) =>
        services.GetRequiredService<IOptionsMonitor<BrokerClientOptions>>().Get(name);

    private static ISvidSource CreateSvidSource(IServiceProvider services, BrokerClientOptions options)
    {
        var time = services.GetRequiredService<TimeProvider>();
        var logs = services.GetRequiredService<ILoggerFactory>();
        return options.Svids.UsesFiles
            ? new FileSvidSource(options.Svids, time, logs.CreateLogger<FileSvidSource>())
            : new WorkloadApiSvidSource(options.Svids, time, logs.CreateLogger<WorkloadApiSvidSource>());
    }

    private static X509Certificate2Collection? Authorities(BrokerClientOptions options)
    {
        if (options.BrokerCertificateAuthoritiesFile is not { } file)
        {
            return null;
        }

        var authorities = new X509Certificate2Collection();
        authorities.ImportFromPemFile(file);
        return authorities;
    }
}
