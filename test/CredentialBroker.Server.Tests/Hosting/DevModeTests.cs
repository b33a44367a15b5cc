using System.Net;
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
    public void The_dev_credentials_file_holds_the_issuer_and_three_svids_readable_only_by_the_owner()
    {
        var credentials = Credentials();

        Assert.Multiple(() =>
        {
            Assert.That(credentials.Select(p => p.Key), Is.EqualTo(new[] { "issuer", "orchestrator", "agent", "soc" }));
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
