using CredentialBroker.Client;
using CredentialBroker.Client.Agents;
using CredentialBroker.Client.Audit;
using CredentialBroker.Client.Operators;
using CredentialBroker.Client.Orchestrators;
using CredentialBroker.Client.Soc;
using Microsoft.Extensions.DependencyInjection;

namespace CredentialBroker.Server.Tests.Client;

/// <summary>
/// CredentialBroker.Client as a workload registers it — <c>AddCredentialBrokerClient</c>, one named client per workload
/// of the test trust domain, each authenticating with a JWT-SVID from a file — with the in-memory broker as the
/// primary handler of its <see cref="IHttpClientFactory"/> client (the resilience handler stays in the pipeline).
/// </summary>
internal sealed class BrokerClients : IAsyncDisposable
{
    private readonly ServiceProvider _services;
    private readonly DirectoryInfo _files;

    private BrokerClients(ServiceProvider services, DirectoryInfo files)
    {
        _services = services;
        _files = files;
    }

    /// <summary>Clients for <paramref name="paths"/> of <paramref name="app"/>'s trust domain, on <paramref name="time"/> (default: the broker's clock).</summary>
    public static BrokerClients For(BrokerApp app, TimeProvider? time = null, Action<BrokerClientOptions>? configure = null, params string[] paths)
    {
        var files = Directory.CreateTempSubdirectory("cb-client-");
        var services = new ServiceCollection();
        services.AddSingleton(time ?? app.Time);
        foreach (var path in paths)
        {
            var jwtSvidFile = Path.Combine(files.FullName, path.Trim('/').Replace('/', '_') + ".token");
            File.WriteAllText(jwtSvidFile, app.Svid(path));
            services.AddCredentialBrokerClient(path, options =>
                {
                    options.BrokerUrl = new Uri(app.Issuer);
                    options.RequireHttps = options.BrokerUrl.Scheme == Uri.UriSchemeHttps;
                    options.Svids.JwtSvidFile = jwtSvidFile;
                    options.ProgressInterval = TimeSpan.FromMilliseconds(100);
                    configure?.Invoke(options);
                })
                .HttpClient.ConfigurePrimaryHttpMessageHandler(() => app.Server.CreateHandler());
        }

        return new BrokerClients(services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true }), files);
    }

    public OrchestratorClient Orchestrator(string path = BrokerApp.Orchestrator) => _services.GetRequiredKeyedService<OrchestratorClient>(path);

    public AgentClient Agent(string path = BrokerApp.Agent) => _services.GetRequiredKeyedService<AgentClient>(path);

    public SocClient Soc(string path = BrokerApp.Soc) => _services.GetRequiredKeyedService<SocClient>(path);

    public OperatorClient Operator(string path = BrokerApp.Operator) => _services.GetRequiredKeyedService<OperatorClient>(path);

    public AuditClient Audit(string path = BrokerApp.Soc) => _services.GetRequiredKeyedService<AuditClient>(path);

    public async ValueTask DisposeAsync()
    {
        await _services.DisposeAsync();
        _files.Delete(recursive: true);
    }

    /// <summary>The task the tests create: the agent may read <paramref name="destination"/> and delegate once.</summary>
    public static TaskRequest Task(BrokerApp app, string destination = "postgres://payments", int maxDelegationDepth = 1) => new()
    {
        Agent = app.AgentId,
        Workflow = new WorkflowReference { Id = "wf-invoices", Designer = "team-payments", Version = "3" },
        Authorization = [new TaskGrant { Tool = "sql.query", Destination = destination, Actions = ["read"], DataClass = "confidential" }],
        Ttl = TimeSpan.FromMinutes(10),
        Approval = new TaskApproval { Id = "CHG-1042", Approver = "alice@corp.example", ApprovedAt = app.Time.GetUtcNow().AddMinutes(-5) },
        Origin = new TaskOrigin { PromptId = "p-77", PromptSha256 = new string('a', 64), RequestedBy = "user:bob@corp.example" },
        MaxDelegationDepth = maxDelegationDepth,
        MayAct = [app.Trust.Id(BrokerApp.OtherAgent)],
    };
}
