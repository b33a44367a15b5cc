// Shared by the samples (linked into each project): where the broker is, where this workload's SVIDs are, and one line
// per step on the console.
using CredentialBroker.Client;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CredentialBroker.Samples;

/// <summary>
/// The samples' settings, from the command line (<c>--broker URL</c>, <c>--credentials DIR</c>) or the environment
/// (<c>BROKER</c>, <c>CREDENTIALS</c>): by default a development-mode broker on http://127.0.0.1:8080 and its dev
/// credentials directory, where each identity has the files a SPIFFE helper writes. <c>CredentialBroker__Svids__…</c>
/// settings (files, or <c>WorkloadApiSocket</c>) replace the dev files for a real deployment.
/// </summary>
internal sealed class SampleSettings
{
    private readonly string _name;

    private SampleSettings(string name, IConfiguration configuration)
    {
        _name = name;
        Configuration = configuration;
        Broker = new Uri(configuration["Broker"] ?? "http://127.0.0.1:8080");
        Credentials = configuration["Credentials"] ?? Path.Combine(Path.GetTempPath(), "credentialbroker");
    }

    public IConfiguration Configuration { get; }

    /// <summary>The broker's URL (also its issuer).</summary>
    public Uri Broker { get; }

    /// <summary>The dev credentials directory.</summary>
    public string Credentials { get; }

    public static SampleSettings Load(string name, string[] args) => new(name, new ConfigurationBuilder()
        .AddEnvironmentVariables()
        .AddCommandLine(args, new Dictionary<string, string> { ["--broker"] = "Broker", ["--credentials"] = "Credentials" })
        .Build());

    /// <summary>The directory of a dev identity's SVID files.</summary>
    public string IdentityDirectory(string identity) => Path.Combine(Credentials, identity);

    /// <summary>
    /// The broker clients for the workloads this sample plays (a client per identity, keyed by its name), or null after
    /// saying in one line what is missing.
    /// </summary>
    public ServiceProvider? Clients(params string[] identities)
    {
        var configured = Configuration.GetSection("CredentialBroker:Svids").Exists();
        if (!configured && !Directory.Exists(Credentials))
        {
            Fail($"no dev credentials at {Credentials}: start a development-mode broker (dotnet run --project src/CredentialBroker.Server) or pass --credentials DIR");
            return null;
        }

        var services = new ServiceCollection();
        services.AddLogging(logging => logging.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning));
        foreach (var identity in identities)
        {
            services.AddCredentialBrokerClient(identity, options =>
            {
                options.BrokerUrl = Broker;
                options.RequireHttps = Broker.Scheme == Uri.UriSchemeHttps;
                if (configured && identity == identities[0])
                {
                    Configuration.GetSection("CredentialBroker").Bind(options);
                }
                else
                {
                    options.Svids.Directory = IdentityDirectory(identity);
                }
            });
        }

        return services.BuildServiceProvider();
    }

    /// <summary>Runs a sample: a missing or invalid setting is one line per problem and exit code 2, never a stack trace.</summary>
    public async Task<int> RunAsync(Func<Task<int>> sample)
    {
        try
        {
            return await sample();
        }
        catch (Microsoft.Extensions.Options.OptionsValidationException ex)
        {
            foreach (var failure in ex.Failures)
            {
                Console.Error.WriteLine($"[{_name}] setting: {failure}");
            }

            return 2;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Text.Json.JsonException or BrokerRequestException)
        {
            return Fail(ex.Message);
        }
    }

    /// <summary>One line per step.</summary>
    public void Step(string text) => Console.WriteLine($"[{_name}] {text}");

    /// <summary>One line per failure, on standard error; returns the exit code 1.</summary>
    public int Fail(string text)
    {
        Console.Error.WriteLine($"[{_name}] FAILED: {text}");
        return 1;
    }

    /// <summary>The value of a broker call, or null after one line that says why it failed.</summary>
    public T? Expect<T>(BrokerResult<T> result, string what)
        where T : class
    {
        if (result.IsSuccess)
        {
            return result.Value;
        }

        Fail($"{what}: {result.Error}");
        return null;
    }
}
