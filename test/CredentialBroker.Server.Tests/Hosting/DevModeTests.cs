using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using CredentialBroker.Testing;

namespace CredentialBroker.Server.Tests.Hosting;

/// <summary>Development mode in process: the dev credentials file and what its identities can do.</summary>
public sealed class DevModeTests : IDisposable
{
    private readonly BrokerApp _app = BrokerApp.Dev();

    public void Dispose() => _app.Dispose();

    private JsonObject Credentials()
    {
        _ = _app.Server; // starts the host, which writes the file
        return JsonNode.Parse(File.ReadAllText(_app.DevCredentialsFile))!.AsObject();
    }

    [Test]
    public void The_dev_credentials_file_holds_the_issuer_and_a_svid_per_identity_readable_only_by_the_owner()
    {
        var credentials = Credentials();

        Assert.Multiple(() =>
        {
            Assert.That(credentials.Select(p => p.Key), Is.EqualTo(new[] { "issuer", "orchestrator", "agent", "sub_agent", "resource_server", "soc", "operator" }));
            Assert.That((string?)JwtParts.Payload((string)credentials["sub_agent"]!)["sub"], Is.EqualTo("spiffe://dev.local/sub-agent"));
            Assert.That((string?)JwtParts.Payload((string)credentials["resource_server"]!)["sub"], Is.EqualTo("spiffe://dev.local/resource-server"));
            Assert.That((string?)credentials["issuer"], Is.EqualTo("http://127.0.0.1:8080"));
            Assert.That((string?)JwtParts.Payload((string)credentials["orchestrator"]!)["sub"], Is.EqualTo("spiffe://dev.local/orchestrator"));
            Assert.That((string?)JwtParts.Payload((string)credentials["agent"]!)["sub"], Is.EqualTo("spiffe://dev.local/agent"));
            Assert.That((string?)JwtParts.Payload((string)credentials["soc"]!)["sub"], Is.EqualTo("spiffe://dev.local/soc"));
            Assert.That((string?)JwtParts.Payload((string)credentials["soc"]!)["aud"], Is.EqualTo("http://127.0.0.1:8080"));
            var payload = JwtParts.Payload((string)credentials["agent"]!);
            Assert.That((long)payload["exp"]! - (long)payload["iat"]!, Is.EqualTo(24 * 3600));
            if (!OperatingSystem.IsWindows())
            {
                Assert.That(File.GetUnixFileMode(_app.DevCredentialsFile), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite));
            }
        });
    }

    [TestCase("orchestrator", "spiffe://dev.local/orchestrator")]
    [TestCase("agent", "spiffe://dev.local/agent")]
    [TestCase("sub_agent", "spiffe://dev.local/sub-agent")]
    [TestCase("resource_server", "spiffe://dev.local/resource-server")]
    [TestCase("soc", "spiffe://dev.local/soc")]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void Each_identity_has_spiffe_helper_files_an_x509_svid_chaining_to_the_bundle_and_its_jwt_svid(string name, string spiffeId)
    {
        var credentials = Credentials();
        var directory = Path.Combine(Path.GetDirectoryName(_app.DevCredentialsFile)!, name);
        using var svid = X509Certificate2.CreateFromPemFile(Path.Combine(directory, "svid.pem"), Path.Combine(directory, "svid_key.pem"));
        var bundle = new X509Certificate2Collection();
        bundle.ImportFromPemFile(Path.Combine(directory, "svid_bundle.pem"));
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(bundle);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;

        Assert.Multiple(() =>
        {
            Assert.That(CredentialBroker.Client.ResourceServers.PresenterIdentity.SpiffeId(svid), Is.EqualTo(spiffeId));
            Assert.That(svid.HasPrivateKey, Is.True);
            Assert.That(chain.Build(svid), Is.True, "the X.509-SVID chains to the dev bundle");
            Assert.That(File.ReadAllText(Path.Combine(directory, "jwt_svid.token")).Trim(), Is.EqualTo((string)credentials[name]!));
            Assert.That(svid.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single().EnumerateDnsNames(),
                name == "resource_server" ? Is.EqualTo(new[] { "localhost" }) : Is.Empty, "only the resource server serves TLS");
            Assert.That(File.GetUnixFileMode(directory), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute));
            foreach (var file in Directory.GetFiles(directory))
            {
                Assert.That(File.GetUnixFileMode(file), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite), file);
            }
        });
    }

    [Test]
    public async Task The_dev_resource_server_introspects_access_tokens_for_its_resource_and_no_others()
    {
        var credentials = Credentials();
        var orchestrator = _app.WithBearer((string)credentials["orchestrator"]!);
        var agent = _app.WithBearer((string)credentials["agent"]!);
        var resourceServer = _app.WithBearer((string)credentials["resource_server"]!);
        var (_, token, _) = await orchestrator.CreateTaskOkAsync("spiffe://dev.local/agent", destination: "https://invoices.dev.local");
        var (_, otherToken, _) = await orchestrator.CreateTaskOkAsync("spiffe://dev.local/agent");
        var own = (string)(await (await agent.AccessTokenAsync(token, "https://invoices.dev.local")).JsonAsync())["access_token"]!;
        var other = (string)(await (await agent.AccessTokenAsync(otherToken)).JsonAsync())["access_token"]!;

        Assert.Multiple(async () =>
        {
            Assert.That((bool?)(await resourceServer.IntrospectJsonAsync(own))["active"], Is.True);
            Assert.That((bool?)(await resourceServer.IntrospectJsonAsync(other))["active"], Is.False, "postgres://payments is not its resource");
        });
    }

    [Test]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void A_symbolic_link_planted_at_the_credentials_path_is_replaced_not_followed()
    {
        var directory = Directory.CreateTempSubdirectory("cb-dev-link-").FullName;
        var victim = Path.Combine(Directory.CreateTempSubdirectory("cb-victim-").FullName, "victim.txt");
        File.WriteAllText(victim, "precious");
        var path = Path.Combine(directory, "dev-credentials.json");
        File.CreateSymbolicLink(path, victim);
        using var app = BrokerApp.Dev();
        app.Settings["CredentialBroker:Dev:CredentialsFile"] = path;

        _ = app.Server;

        Assert.Multiple(() =>
        {
            Assert.That(File.ReadAllText(victim), Is.EqualTo("precious"), "the link's target is untouched");
            Assert.That(new FileInfo(path).LinkTarget, Is.Null, "the link itself was replaced by the credentials file");
            Assert.That(JsonNode.Parse(File.ReadAllText(path))!["orchestrator"], Is.Not.Null);
            Assert.That(File.GetUnixFileMode(path), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite));
        });
    }

    [Test]
    public async Task The_dev_identities_hold_their_roles_on_the_embedded_store()
    {
        var credentials = Credentials();
        var orchestrator = _app.WithBearer((string)credentials["orchestrator"]!);
        var agent = _app.WithBearer((string)credentials["agent"]!);
        var soc = _app.WithBearer((string)credentials["soc"]!);

        var (taskId, token, _) = await orchestrator.CreateTaskOkAsync("spiffe://dev.local/agent");

        Assert.Multiple(async () =>
        {
            Assert.That((bool?)(await agent.IntrospectJsonAsync(token))["active"], Is.True);
            Assert.That((await soc.GetAsync($"/v1/tasks/{taskId}")).StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That((await agent.CreateTaskAsync(Api.TaskBody("spiffe://dev.local/agent"))).StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
            Assert.That((await orchestrator.ChangeStateAsync(taskId, "completed")).StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That((bool?)(await agent.IntrospectJsonAsync(token))["active"], Is.False);
        });
    }

    [Test]
    public async Task Dev_mode_also_trusts_configured_trust_domains() =>
        Assert.That((await _app.As(BrokerApp.Orchestrator).CreateTaskAsync(Api.TaskBody(_app.AgentId))).StatusCode, Is.EqualTo(HttpStatusCode.Created));
}
