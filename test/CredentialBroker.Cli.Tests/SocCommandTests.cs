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

        /// <param name="settings">More broker settings, as environment variables (a downstream provider).</param>
        public static async Task<DevBroker> StartAsync(IReadOnlyDictionary<string, string>? settings = null)
        {
            var broker = new DevBroker();
            var environment = new Dictionary<string, string>(settings ?? new Dictionary<string, string>()) { ["ASPNETCORE_ENVIRONMENT"] = "Development" };
            broker._process = await BrokerProcess.StartListeningAsync(environment, "--urls", broker.Url, "--dev-credentials-file", broker.Credentials);
            return broker;
        }

        public HttpClient As(string identity)
        {
            var client = new HttpClient { BaseAddress = new Uri(Url) };
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", (string)JsonNode.Parse(File.ReadAllText(Credentials))![identity]!);
            return client;
        }

        public async Task<(string TaskId, string Token)> CreateTaskAsync(string workflow, string destination = "postgres://payments")
        {
            using var orchestrator = As("orchestrator");
            var body = $$"""{"agent": "spiffe://dev.local/agent", "workflow": {"id": "{{workflow}}"}, "authorization": [{"tool": "sql", "destination": "{{destination}}", "actions": ["read"]}], "ttlSeconds": 300}""";
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
    public async Task Tasks_show_lists_a_tasks_downstream_secrets_and_revoke_follows_them_per_resource()
    {
        // A real redis-server as the downstream backend: the broker's Redis ACL provider creates one user per secret.
        await using var backend = await RedisServer.StartPrivateAsync();
        await using var broker = await DevBroker.StartAsync(new Dictionary<string, string>
        {
            ["CredentialBroker__Downstream__Providers__sessions__Kind"] = "redis",
            ["CredentialBroker__Downstream__Providers__sessions__Resource"] = "redis://sessions",
            ["CredentialBroker__Downstream__Providers__sessions__ConnectionString"] = backend.ConnectionString,
            ["CredentialBroker__Downstream__Providers__sessions__Acl"] = "~sessions:* +get",
        });
        var (taskId, token) = await broker.CreateTaskAsync("wf-secrets", "redis://sessions");
        var (plainTaskId, _) = await broker.CreateTaskAsync("wf-plain");
        using var agent = broker.As("agent");
        var exchanged = await agent.PostAsync("/oauth2/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "urn:ietf:params:oauth:grant-type:token-exchange",
            ["subject_token"] = token,
            ["subject_token_type"] = "urn:ietf:params:oauth:token-type:jwt",
            ["requested_token_type"] = "urn:credentialbroker:token-type:secret",
            ["resource"] = "redis://sessions",
        }));
        var secret = JsonNode.Parse(await exchanged.Content.ReadAsStringAsync())!["secret"]!;

        var shown = await broker.CtlAsync("tasks", "show", taskId);
        var plain = await broker.CtlAsync("tasks", "show", plainTaskId);
        var revoked = await broker.CtlAsync("revoke", "--workflow", "wf-secrets", "--reason", "leaked session login");
        var after = await broker.CtlAsync("tasks", "show", taskId, "--output", "json");
        var record = JsonNode.Parse(after.StandardOutput)!["credentials"]!.AsArray().Single(c => c!["secret"] is not null)!;

        Assert.Multiple(() =>
        {
            Assert.That(exchanged.IsSuccessStatusCode, Is.True);
            Assert.That(shown.ExitCode, Is.Zero, shown.StandardError);
            Assert.That(shown.StandardOutput, Does.Contain("Downstream secrets: 1").And.Contain((string)secret["username"]!).And.Contain("sessions").And.Contain("redis://sessions"));
            Assert.That(shown.StandardOutput, Does.Not.Contain((string)secret["password"]!), "a password is never shown, not even in the task's view");
            Assert.That(plain.StandardOutput, Does.Not.Contain("Downstream secrets"), "a task without secrets has no secrets table");
            Assert.That(revoked.ExitCode, Is.Zero, revoked.StandardError);
            Assert.That(revoked.StandardOutput, Does.Contain("Per resource"));
            Assert.That(revoked.StandardOutput, Does.Match(@"│ redis://sessions\s*│\s*1\s*│\s*1\s*│\s*1\s*│\s*0\s*│"), "matched, revoked downstream, verified dead, irrevocable");
            Assert.That(record["downstream"]!["verifiedAt"], Is.Not.Null);
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
            Assert.That(await File.ReadAllTextAsync(report), Does.Contain($"brokerctl audit trace {(string)JwtParts.Payload(token)["jti"]!}</code>"), "each credential links to its trace");
            Assert.That(byExtension.ExitCode, Is.Zero, byExtension.StandardError);
            Assert.That(await File.ReadAllTextAsync(markdown), Does.Contain("exfiltration").And.Not.Contain("<svg"), "-f x.md without -o writes Markdown");
            Assert.That(table.ExitCode, Is.Zero, table.StandardError);
            Assert.That(table.StandardOutput, Does.Contain("Exposure after notification").And.Contain("still valid after 5d").And.Contain(id));
            Assert.That((string)JsonNode.Parse(task.StandardOutput)!["taskId"]!, Is.EqualTo(taskId));
            Assert.That(await broker.ActiveAsync(token), Is.False);
        });
    }

    [Test]
    public async Task Tasks_show_prints_control_characters_from_the_broker_escaped_and_plain_text_as_written()
    {
        await using var broker = await DevBroker.StartAsync();
        var (hostileId, _) = await broker.CreateTaskAsync(@"wf-\u001b]0;pwned\u0007\r\nFAKE");
        var (plainId, _) = await broker.CreateTaskAsync("wf-plain");

        var hostile = await broker.CtlAsync("tasks", "show", hostileId);
        var plain = await broker.CtlAsync("tasks", "show", plainId);

        Assert.Multiple(() =>
        {
            Assert.That(hostile.ExitCode, Is.Zero, hostile.StandardError);
            Assert.That(hostile.StandardOutput, Does.Contain(@"workflow wf-\x1b]0;pwned\x07\r\nFAKE, expires"));
            Assert.That(hostile.StandardOutput, Does.Not.Contain("\u001b").And.Not.Contain("\u0007").And.Not.Contain("\r"));
            Assert.That(hostile.StandardOutput.Split('\n'), Has.Length.EqualTo(plain.StandardOutput.Split('\n').Length), "no line was added");
            Assert.That(plain.StandardOutput, Does.Contain("workflow wf-plain, expires"));
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
            Assert.That(notSoc.StandardError, Does.Contain("soc").And.Contain("(credentials: " + broker.Credentials + ", from --svid-file)"), "a refusal names the credential it refused");
            Assert.That(unknown.ExitCode, Is.EqualTo(4));
            Assert.That(unreachable.ExitCode, Is.EqualTo(5));
        });
    }
}
