using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using CredentialBroker.Testing;

namespace CredentialBroker.Cli.Tests;

/// <summary>
/// The trial end to end: a real production-mode broker on a private redis-server, configured only with what
/// <c>brokerctl trust init</c> wrote and printed, serving HTTPS with an X.509-SVID from <c>brokerctl trust svid</c>.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class TrialBrokerTests : IDisposable
{
    private const string Task = """
        {"agent": "spiffe://trial.example/agents/bot", "workflow": {"id": "wf-trial"},
         "authorization": [{"tool": "sql.query", "destination": "postgres://payments", "actions": ["read"]}], "ttlSeconds": 300}
        """;

    private readonly string _directory = Directory.CreateTempSubdirectory("cb-trial-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string In(params string[] parts) => Path.Combine([_directory, .. parts]);

    private static async Task<ProcessRunner.Result> SucceedAsync(params string[] arguments)
    {
        var result = await Brokerctl.RunAsync(arguments);
        Assert.That(result.ExitCode, Is.Zero, $"brokerctl {string.Join(' ', arguments)}: {result.StandardError}");
        return result;
    }

    /// <summary>An HTTPS client that checks the broker's certificate against the trial X.509 bundle (it names no host: it is an SVID), optionally presenting an X.509-SVID.</summary>
    private static HttpClient Client(string issuer, string bundle, string? certificateDirectory = null)
    {
        var authorities = new X509Certificate2Collection();
        authorities.ImportFromPemFile(bundle);
        var handler = new SocketsHttpHandler();
        handler.SslOptions.RemoteCertificateValidationCallback = (_, server, _, errors) =>
        {
            if (server is null || (errors & SslPolicyErrors.RemoteCertificateNotAvailable) != 0)
            {
                return false;
            }

            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.AddRange(authorities);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            return chain.Build(new X509Certificate2(server));
        };
        if (certificateDirectory is not null)
        {
            handler.SslOptions.ClientCertificates = [X509Certificate2.CreateFromPemFile(Path.Combine(certificateDirectory, "svid.pem"), Path.Combine(certificateDirectory, "svid.key"))];
        }

        return new HttpClient(handler) { BaseAddress = new Uri(issuer) };
    }

    private static async Task<HttpStatusCode> CreateTaskAsync(HttpClient client, string? bearer = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/tasks") { Content = new StringContent(Task, Encoding.UTF8, "application/json") };
        if (bearer is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        }

        using var response = await client.SendAsync(request);
        return response.StatusCode;
    }

    [Test]
    public async Task A_production_broker_configured_only_from_trust_init_accepts_the_svids_trust_svid_mints_and_refuses_those_of_other_authorities()
    {
        await using var redis = await RedisServer.StartPrivateAsync();
        var issuer = $"https://127.0.0.1:{BrokerProcess.FreePort()}";
        var init = await SucceedAsync("trust", "init", In("trial"), "--trust-domain", "trial.example", "--issuer", issuer, "-o", "json");
        Directory.CreateDirectory(In("broker"));
        await File.WriteAllTextAsync(In("broker", "appsettings.json"), JsonNode.Parse(init.StandardOutput)!["appsettings"]!.ToJsonString());
        await SucceedAsync("trust", "svid", "--dir", In("trial"), "--id", "spiffe://trial.example/broker", "--x509", In("tls"));
        await SucceedAsync("trust", "init", In("other"), "--trust-domain", "other.example");
        await SucceedAsync("trust", "init", In("impostor"), "--trust-domain", "trial.example");
        await SucceedAsync("trust", "svid", "--dir", In("trial"), "--id", "spiffe://trial.example/orchestrators/ci", "--x509", In("mtls"));
        await SucceedAsync("trust", "svid", "--dir", In("impostor"), "--id", "spiffe://trial.example/orchestrators/ci", "--x509", In("forged-mtls"));
        var svid = (await SucceedAsync("trust", "svid", "--dir", In("trial"), "--id", "spiffe://trial.example/orchestrators/ci", "--audience", issuer)).StandardOutput.Trim();
        var otherDomain = (await SucceedAsync("trust", "svid", "--dir", In("other"), "--id", "spiffe://other.example/orchestrators/ci", "--audience", issuer)).StandardOutput.Trim();
        var otherKeys = (await SucceedAsync("trust", "svid", "--dir", In("impostor"), "--id", "spiffe://trial.example/orchestrators/ci", "--audience", issuer)).StandardOutput.Trim();

        // Production mode: the appsettings.json trust init printed, the local Redis, and a TLS certificate; nothing else.
        await using var broker = await BrokerProcess.StartListeningAsync(new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["ConnectionStrings__Redis"] = redis.ConnectionString,
            ["Kestrel__Certificates__Default__Path"] = In("tls", "svid.pem"),
            ["Kestrel__Certificates__Default__KeyPath"] = In("tls", "svid.key"),
        }, "--contentRoot", In("broker"), "--urls", issuer);
        var bundle = In("trial", "x509-bundle.pem");
        using var anonymous = Client(issuer, bundle);
        using var mutual = Client(issuer, bundle, In("mtls"));
        using var forged = Client(issuer, bundle, In("forged-mtls"));

        Assert.Multiple(async () =>
        {
            Assert.That(await CreateTaskAsync(anonymous, svid), Is.EqualTo(HttpStatusCode.Created), broker.Output);
            Assert.That(await CreateTaskAsync(anonymous, otherDomain), Is.EqualTo(HttpStatusCode.Unauthorized), "a trust domain the broker was not given");
            Assert.That(await CreateTaskAsync(anonymous, otherKeys), Is.EqualTo(HttpStatusCode.Unauthorized), "the same name, other keys");
            Assert.That(await CreateTaskAsync(mutual), Is.EqualTo(HttpStatusCode.Created), "X.509-SVID over mutual TLS");
            Assert.That(await CreateTaskAsync(forged), Is.EqualTo(HttpStatusCode.Unauthorized), "an X.509-SVID of another authority");
            Assert.That(broker.Output, Does.Not.Contain("development mode").IgnoreCase);
        });
    }
}
