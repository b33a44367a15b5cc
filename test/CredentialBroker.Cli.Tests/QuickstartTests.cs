using CredentialBroker.Abstractions;
using CredentialBroker.Testing;

namespace CredentialBroker.Cli.Tests;

/// <summary>docs/quickstart-production.md, kept true: its script runs verbatim, its bundle example loads.</summary>
public sealed class QuickstartTests : IDisposable
{
    private static readonly string Document = Repository.Path("docs", "quickstart-production.md");
    private readonly string _directory = Directory.CreateTempSubdirectory("cb-quickstart-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    /// <summary>The one fenced block between <c>&lt;!-- name:begin --&gt;</c> and <c>&lt;!-- name:end --&gt;</c>.</summary>
    private static string Block(string name, string language)
    {
        var text = File.ReadAllText(Document);
        var begin = $"<!-- {name}:begin -->";
        var start = text.IndexOf(begin, StringComparison.Ordinal) + begin.Length;
        var lines = text[start..text.IndexOf($"<!-- {name}:end -->", StringComparison.Ordinal)].Trim().Split('\n');
        Assert.Multiple(() =>
        {
            Assert.That(lines[0].Trim(), Is.EqualTo("```" + language), $"the {name} block is one {language} block");
            Assert.That(lines[^1].Trim(), Is.EqualTo("```"));
        });
        return string.Join('\n', lines[1..^1]) + "\n";
    }

    [Test]
    public async Task The_production_quickstart_works_verbatim_against_a_fresh_redis_server()
    {
        await using var redis = await RedisServer.StartPrivateAsync();

        var bash = await ProcessRunner.RunAsync("bash", ["-euo", "pipefail", "-c", Block("quickstart", "bash")], new Dictionary<string, string>
        {
            ["BROKER"] = $"http://127.0.0.1:{BrokerProcess.FreePort()}",
            ["REDIS"] = redis.ConnectionString,
            ["TRIAL"] = Path.Combine(_directory, "trial"),
            ["BROKERCTL"] = Brokerctl.ShellCommand,
            ["SERVER"] = Path.Combine(AppContext.BaseDirectory, "CredentialBroker.Server.dll"),
        });

        var log = Path.Combine(_directory, "trial", "broker.log");
        Assert.Multiple(() =>
        {
            Assert.That(bash.ExitCode, Is.Zero, bash.StandardError + (File.Exists(log) ? File.ReadAllText(log) : string.Empty));
            Assert.That(bash.StandardOutput.TrimEnd().Split('\n'), Is.EqualTo(new[]
            {
                "{\"state\":\"created\"}",
                "{\"active\":true,\"sub\":\"spiffe://trial.example/agents/invoice-bot\"}",
                "{\"state\":\"completed\",\"revoked\":1}",
                "{\"active\":false}",
                "{\"state\":\"completed\",\"credentials\":[\"revoked\"]}",
            }));
            Assert.That(File.ReadAllText(log), Does.Not.Contain("development mode").IgnoreCase, "production mode");
        });
    }

    [Test]
    public void The_complete_bundle_example_loads_as_the_broker_loads_bundles_keeping_its_jwt_svid_key_only()
    {
        var example = Block("bundle", "json");
        var complete = Path.Combine(_directory, "complete.json");
        File.WriteAllText(complete, example);
        var x509Only = Path.Combine(_directory, "x509-only.json");
        var document = System.Text.Json.Nodes.JsonNode.Parse(example)!;
        var jwtKey = document["keys"]!.AsArray().Single(k => (string?)k!["use"] == "jwt-svid")!;
        document["keys"]!.AsArray().Remove(jwtKey);
        File.WriteAllText(x509Only, document.ToJsonString());

        var bundle = ServerInternals.LoadTrustBundles(Options(complete)).Single();

        Assert.Multiple(() =>
        {
            Assert.That(bundle.TrustDomain, Is.EqualTo("trial.example"));
            Assert.That(bundle.Count, Is.EqualTo(1), "the x509-svid key is skipped");
            Assert.That(bundle.Find((string?)jwtKey["kid"]), Is.Not.Null);
            Assert.That(() => ServerInternals.LoadTrustBundles(Options(x509Only)), Throws.InvalidOperationException.With.Message.Contains("no JWT-SVID key"));
        });

        static CredentialBrokerOptions Options(string path)
        {
            var options = new CredentialBrokerOptions();
            options.TrustBundles["trial.example"] = path;
            return options;
        }
    }
}
