using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using CredentialBroker.Testing;

namespace CredentialBroker.Cli.Tests;

/// <summary>brokerctl's SOC commands, run as a process against a real broker in dev mode.</summary>
public sealed class SocCommandTests
{
    private sealed class DevBroker : IAsyncDisposable
    {
        private BrokerProcess _process = null!;

        public string Url { get; } = $"http://127.0.0.1:{BrokerProcess.FreePort()}";

        public string Credentials { get; } = Path.Combine(Directory.CreateTempSubdirectory("cb-cli-").FullName, "dev.json");

        public static async Task<DevBroker> StartAsync()
        {
            var broker = new DevBroker();
            broker._process = await BrokerProcess.StartListeningAsync(
                new Dictionary<string, string> { ["ASPNETCORE_ENVIRONMENT"] = "Development" }, "--urls", broker.Url, "--dev-credentials-file", broker.Credentials);
            return broker;
        }

        public HttpClient As(string identity)
        {
            var client = new HttpClient { BaseAddress = new Uri(Url) };
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", (string)JsonNode.Parse(File.ReadAllText(Credentials))![identity]!);
            return client;
        }

        public async Task<(string TaskId, string Token)> CreateTaskAsync(string workflow)
        {
            using var orchestrator = As("orchestrator");
            var body = $$"""{"agent": "spiffe://dev.local/agent", "workflow": {"id": "{{workflow}}"}, "authorization": [{"tool": "sql", "destination": "postgres://payments", "actions": ["read"]}], "ttlSeconds": 300}""";
            var response = await orchestrator.PostAsync("/v1/tasks", new StringContent(body, Encoding.UTF8, "application/json"));
            var json = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
            return ((string)json["taskId"]!, (string)json["token"]!);
        }

        public async Task<bool> ActiveAsync(string token)
        {
            using var soc = As("soc");
            var response = await soc.PostAsync("/oauth2/introspect", new FormUrlEncodedContent([new("token", token)]));
            return (bool)JsonNode.Parse(await response.Content.ReadAsStringAsync())!["active"]!;
        }

        public Task<ProcessRunner.Result> CtlAsync(params string[] arguments) =>
            ProcessRunner.RunAsync(ProcessRunner.DotnetHost, [Path.Combine(AppContext.BaseDirectory, "brokerctl.dll"), "--broker", Url, "--svid-file", Credentials, .. arguments]);

        public ValueTask DisposeAsync() => _process.DisposeAsync();
    }

    [Test]
    public async Task Revoke_counts_in_a_dry_run_then_revokes_follows_to_the_end_and_touches_nothing_else()
    {
        await using var broker = await DevBroker.StartAsync();
        var targets = new[] { await broker.CreateTaskAsync("wf-target"), await broker.CreateTaskAsync("wf-target") };
        var (_, bystander) = await broker.CreateTaskAsync("wf-other");

        var dryRun = await broker.CtlAsync("revoke", "--workflow", "wf-target", "--dry-run", "--output", "json");
        var revoke = await broker.CtlAsync("revoke", "--workflow", "wf-target", "--reason", "prompt injection", "--output", "json");
        var result = JsonNode.Parse(revoke.StandardOutput)!;
        var show = await broker.CtlAsync("revocation", "show", (string)result["id"]!);

        Assert.Multiple(async () =>
        {
            Assert.That(dryRun.ExitCode, Is.Zero, dryRun.StandardError);
            Assert.That((int)JsonNode.Parse(dryRun.StandardOutput)!["matched"]!["total"]!, Is.EqualTo(2));
            Assert.That(revoke.ExitCode, Is.Zero, revoke.StandardError);
            Assert.That((string)result["status"]!, Is.EqualTo("completed"));
            Assert.That((int)result["verified"]!, Is.EqualTo(2));
            Assert.That(show.StandardOutput, Does.Contain("verified dead").And.Contain("completed"));
            Assert.That(show.StandardOutput, Does.Match(@"requested\W+\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"), "table times are ISO 8601 UTC with milliseconds");
            foreach (var (_, token) in targets)
            {
                Assert.That(await broker.ActiveAsync(token), Is.False);
            }

            Assert.That(await broker.ActiveAsync(bystander), Is.True);
        });
    }

    [Test]
    public async Task An_incident_is_declared_listed_shown_and_reported_as_one_html_file()
    {
        await using var broker = await DevBroker.StartAsync();
        var (taskId, token) = await broker.CreateTaskAsync("wf-incident");
        var report = Path.Combine(Path.GetDirectoryName(broker.Credentials)!, "report.html");

        var declared = await broker.CtlAsync("incident", "declare", "--title", "exfiltration", "--severity", "critical", "--workflow", "wf-incident", "--revoke", "--output", "json");
        var incident = JsonNode.Parse(declared.StandardOutput)!;
        var id = (string)incident["id"]!;
        var follow = await broker.CtlAsync("revocation", "show", (string)incident["revocationId"]!, "--output", "json");
        var listed = await broker.CtlAsync("incident", "list", "--output", "json");
        var shown = await broker.CtlAsync("incident", "show", id);
        var written = await broker.CtlAsync("report", "exposure", "--incident", id, "-o", "html", "-f", report);
        var markdown = Path.ChangeExtension(report, ".md");
        var byExtension = await broker.CtlAsync("report", "exposure", "--incident", id, "-f", markdown);
        var table = await broker.CtlAsync("report", "exposure", "--incident", id);
        var task = await broker.CtlAsync("tasks", "show", taskId, "--output", "json");

        Assert.Multiple(async () =>
        {
            Assert.That(declared.ExitCode, Is.Zero, declared.StandardError);
            Assert.That(follow.ExitCode, Is.Zero, follow.StandardError);
            Assert.That(JsonNode.Parse(listed.StandardOutput)!.AsArray().Select(i => (string)i!["id"]!), Does.Contain(id));
            Assert.That(shown.StandardOutput, Does.Contain("exfiltration"));
            Assert.That(written.ExitCode, Is.Zero, written.StandardError);
            Assert.That(await File.ReadAllTextAsync(report), Does.Contain("<svg").And.Contain("exfiltration"));
            Assert.That(byExtension.ExitCode, Is.Zero, byExtension.StandardError);
            Assert.That(await File.ReadAllTextAsync(markdown), Does.Contain("exfiltration").And.Not.Contain("<svg"), "-f x.md without -o writes Markdown");
            Assert.That(table.ExitCode, Is.Zero, table.StandardError);
            Assert.That(table.StandardOutput, Does.Contain("Exposure after notification").And.Contain("still valid after 5d").And.Contain(id));
            Assert.That((string)JsonNode.Parse(task.StandardOutput)!["taskId"]!, Is.EqualTo(taskId));
            Assert.That(await broker.ActiveAsync(token), Is.False);
        });
    }

    [Test]
    public async Task Failures_have_their_own_exit_codes()
    {
        await using var broker = await DevBroker.StartAsync();

        var ok = await broker.CtlAsync("incident", "list");
        var noSelector = await broker.CtlAsync("revoke", "--reason", "x");
        var unknownFlag = await broker.CtlAsync("revoke", "--bogus");
        var notSoc = await broker.CtlAsync("--as", "agent", "incident", "list");
        var unknown = await broker.CtlAsync("incident", "show", "inc_unknown");
        var unreachable = await ProcessRunner.RunAsync(ProcessRunner.DotnetHost,
            [Path.Combine(AppContext.BaseDirectory, "brokerctl.dll"), "--broker", $"http://127.0.0.1:{BrokerProcess.FreePort()}", "--svid-file", broker.Credentials, "incident", "list"]);

        Assert.Multiple(() =>
        {
            Assert.That(ok.ExitCode, Is.EqualTo(0), ok.StandardError);
            Assert.That(noSelector.ExitCode, Is.EqualTo(2));
            Assert.That(noSelector.StandardError, Does.Contain("selector flag"));
            Assert.That(unknownFlag.ExitCode, Is.EqualTo(2));
            Assert.That(notSoc.ExitCode, Is.EqualTo(3));
            Assert.That(notSoc.StandardError, Does.Contain("soc"));
            Assert.That(unknown.ExitCode, Is.EqualTo(4));
            Assert.That(unreachable.ExitCode, Is.EqualTo(5));
        });
    }
}
