using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CredentialBroker.Testing;
using StackExchange.Redis;

namespace CredentialBroker.Cli.Tests;

/// <summary>
/// <c>brokerctl audit trace|verify|export</c> and <c>brokerctl tasks continue</c>, run as a process against a real
/// production-mode broker on its own redis-server (the boundary log as operators find it), authenticated with JWT-SVIDs
/// of a test trust domain.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class AuditCommandTests
{
    private const string Orchestrator = "/orchestrators/billing";
    private const string Agent = "/agents/invoice-bot";
    private const string SubAgent = "/agents/sub-bot";
    private const string SubSubAgent = "/agents/sub-sub-bot";
    private const string Soc = "/soc";
    private const string Operator = "/operators/on-call";

    /// <summary>A production-mode broker on a private redis-server, and an SVID file for each workload of its trust domain.</summary>
    private sealed class AuditBroker : IAsyncDisposable
    {
        private readonly TestTrustDomain _trust = new("test.example");
        private readonly string _directory = System.IO.Directory.CreateTempSubdirectory("cb-cli-audit-").FullName;
        private RedisServer _redis = null!;
        private BrokerProcess _process = null!;

        public string Url { get; } = $"http://127.0.0.1:{BrokerProcess.FreePort()}";

        public string KeyPrefix { get; } = "t" + Guid.NewGuid().ToString("N")[..12];

        public string Directory => _directory;

        public static async Task<AuditBroker> StartAsync()
        {
            var broker = new AuditBroker();
            broker._redis = await RedisServer.StartPrivateAsync();
            broker._process = await BrokerProcess.StartListeningAsync(new Dictionary<string, string>
            {
                ["ASPNETCORE_ENVIRONMENT"] = "Production",
                ["ConnectionStrings__Redis"] = broker._redis.ConnectionString,
                ["CredentialBroker__Redis__KeyPrefix"] = broker.KeyPrefix,
                ["CredentialBroker__Issuer"] = broker.Url,
                ["CredentialBroker__SigningKeys__0__Path"] = KeyFiles.WriteEs256Pem(),
                ["CredentialBroker__TrustBundles__test.example"] = broker._trust.BundlePath,
                ["CredentialBroker__Roles__Orchestrator__0"] = "spiffe://test.example/orchestrators/",
                ["CredentialBroker__Roles__Agent__0"] = "spiffe://test.example/agents/",
                ["CredentialBroker__Roles__Soc__0"] = "spiffe://test.example/soc",
                ["CredentialBroker__Roles__Operator__0"] = "spiffe://test.example/operators/on-call",
            }, "--urls", broker.Url);
            return broker;
        }

        public string Id(string path) => _trust.Id(path);

        /// <summary>The SVID file of <paramref name="path"/>, as the SPIFFE helper writes it.</summary>
        public string SvidFile(string path)
        {
            var file = Path.Combine(_directory, path.Trim('/').Replace('/', '_') + ".jwt");
            if (!File.Exists(file))
            {
                File.WriteAllText(file, _trust.Svid(path, Url, TimeProvider.System.GetUtcNow()));
            }

            return file;
        }

        public HttpClient As(string path)
        {
            var client = new HttpClient { BaseAddress = new Uri(Url) };
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", File.ReadAllText(SvidFile(path)));
            return client;
        }

        /// <summary>brokerctl as the SOC.</summary>
        public Task<ProcessRunner.Result> CtlAsync(params string[] arguments) => CtlAsAsync(Soc, arguments);

        /// <summary>brokerctl as <paramref name="path"/>.</summary>
        public Task<ProcessRunner.Result> CtlAsAsync(string path, params string[] arguments) =>
            Brokerctl.RunAsync(["--broker", Url, "--svid-file", SvidFile(path), .. arguments]);

        /// <summary>A task for the agent, with the origin, workflow and approval the tests look for; sub-agents may act for it twice over.</summary>
        public async Task<(string TaskId, string Token, string Jti)> CreateTaskAsync(string promptId = "p-77")
        {
            using var orchestrator = As(Orchestrator);
            var body = new JsonObject
            {
                ["agent"] = Id(Agent),
                ["workflow"] = new JsonObject { ["id"] = "wf-invoices", ["designer"] = "team-payments", ["version"] = "3" },
                ["authorization"] = new JsonArray(new JsonObject { ["tool"] = "sql.query", ["destination"] = "postgres://payments", ["actions"] = new JsonArray("read") }),
                ["ttlSeconds"] = 600,
                ["approval"] = new JsonObject { ["id"] = "CHG-1042", ["approver"] = "alice@corp.example", ["approvedAt"] = "2026-11-28T09:00:00Z" },
                ["origin"] = new JsonObject { ["promptId"] = promptId, ["promptSha256"] = new string('a', 64), ["requestedBy"] = "user:bob@corp.example" },
                ["maxDelegationDepth"] = 2,
                ["mayAct"] = new JsonArray("spiffe://test.example/agents/"),
            };
            var response = await orchestrator.PostAsync("/v1/tasks", new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"));
            var json = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
            Assert.That((int)response.StatusCode, Is.EqualTo(201), json.ToJsonString());
            return ((string)json["taskId"]!, (string)json["token"]!, (string)json["jti"]!);
        }

        /// <summary>Exchanges <paramref name="subjectToken"/> as <paramref name="caller"/>: a delegation to <paramref name="actor"/>, or an access token.</summary>
        public async Task<string> ExchangeAsync(string caller, string subjectToken, string? actor = null)
        {
            using var client = As(caller);
            var form = new Dictionary<string, string>
            {
                ["grant_type"] = "urn:ietf:params:oauth:grant-type:token-exchange",
                ["subject_token"] = subjectToken,
                ["subject_token_type"] = "urn:ietf:params:oauth:token-type:jwt",
            };
            if (actor is null)
            {
                form["resource"] = "postgres://payments";
            }
            else
            {
                form["requested_token_type"] = "urn:credentialbroker:token-type:task";
                form["actor_token"] = Id(actor);
                form["actor_token_type"] = "urn:credentialbroker:token-type:spiffe-id";
            }

            var response = await client.PostAsync("/oauth2/token", new FormUrlEncodedContent(form));
            var json = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
            Assert.That(response.IsSuccessStatusCode, Is.True, json.ToJsonString());
            return (string)json["access_token"]!;
        }

        /// <summary>Task token → agent delegates to the sub-agent → it delegates again → the last one takes an access token; returns every jti, task token first.</summary>
        public async Task<string[]> DelegationChainAsync(string promptId = "p-77")
        {
            var (_, token, jti) = await CreateTaskAsync(promptId);
            var delegated = await ExchangeAsync(Agent, token, SubAgent);
            var again = await ExchangeAsync(SubAgent, delegated, SubSubAgent);
            var access = await ExchangeAsync(SubSubAgent, again);
            return [jti, .. new[] { delegated, again, access }.Select(t => (string)JwtParts.Payload(t)["jti"]!)];
        }

        /// <summary>Every event of chain 0, each exactly as the broker sent it.</summary>
        public async Task<List<string>> EventsAsync()
        {
            using var soc = As(Soc);
            using var page = JsonDocument.Parse(await soc.GetStringAsync("/v1/audit/events?after=0&limit=1000"));
            return [.. page.RootElement.GetProperty("events").EnumerateArray().Select(e => e.GetRawText())];
        }

        /// <summary>The boundary log's list in Redis, as someone with write access to Redis sees it.</summary>
        public async Task<(IDatabase Redis, RedisKey Key, ConnectionMultiplexer Connection)> LogAsync()
        {
            var connection = await ConnectionMultiplexer.ConnectAsync(_redis.ConnectionString);
            return (connection.GetDatabase(), $"{KeyPrefix}:{{t:0}}:audit", connection);
        }

        public async ValueTask DisposeAsync()
        {
            await _process.DisposeAsync();
            await _redis.DisposeAsync();
            _trust.Dispose();
            System.IO.Directory.Delete(_directory, recursive: true);
        }
    }

    private static int LineOf(string[] lines, string text) => Array.FindIndex(lines, l => l.Contains(text, StringComparison.Ordinal));

    [Test]
    public async Task Trace_renders_a_three_level_delegation_chain_as_a_tree_naming_every_party()
    {
        await using var broker = await AuditBroker.StartAsync();
        var jtis = await broker.DelegationChainAsync();

        var trace = await broker.CtlAsync("audit", "trace", jtis[^1]);
        var json = await broker.CtlAsync("audit", "trace", jtis[^1], "-o", "json");
        var shorthand = await broker.CtlAsAsync(Operator, "audit", "trace", jtis[^1], "--json");
        var lines = trace.StandardOutput.Split('\n');

        Assert.Multiple(() =>
        {
            Assert.That(trace.ExitCode, Is.Zero, trace.StandardError);
            Assert.That(trace.StandardOutput, Does.Contain("origin: prompt p-77").And.Contain("requested by user:bob@corp.example"));
            Assert.That(trace.StandardOutput, Does.Contain("workflow: wf-invoices · version 3 · designed by team-payments"));
            Assert.That(trace.StandardOutput, Does.Contain("approval: CHG-1042 · approved by alice@corp.example at 2026-11-28T09:00:00.000Z"));
            Assert.That(LineOf(lines, "task tsk_"), Is.LessThan(LineOf(lines, "orchestrator: " + broker.Id(Orchestrator))));
            Assert.That(LineOf(lines, "orchestrator: " + broker.Id(Orchestrator)), Is.LessThan(LineOf(lines, $"agent: {broker.Id(Agent)} · task token {jtis[0]}")), trace.StandardOutput);
            Assert.That(LineOf(lines, $"agent: {broker.Id(Agent)} · task token {jtis[0]}"), Is.LessThan(LineOf(lines, $"delegate: {broker.Id(SubAgent)} · delegated token {jtis[1]} (depth 1)")));
            Assert.That(LineOf(lines, $"delegate: {broker.Id(SubAgent)} · delegated token {jtis[1]} (depth 1)"), Is.LessThan(LineOf(lines, $"delegate: {broker.Id(SubSubAgent)} · delegated token {jtis[2]} (depth 2)")));
            Assert.That(LineOf(lines, $"delegate: {broker.Id(SubSubAgent)} · delegated token {jtis[2]} (depth 2)"), Is.LessThan(LineOf(lines, $"credential: access_token {jtis[3]} → postgres://payments · held by {broker.Id(SubSubAgent)}")));
            Assert.That(LineOf(lines, "decisions (4)"), Is.GreaterThan(LineOf(lines, "credential: access_token")), "decisions are listed under the credential");
            Assert.That(lines.Count(l => l.Contains("credential.issued · allowed", StringComparison.Ordinal)), Is.EqualTo(3));
            Assert.That(trace.StandardOutput, Does.Contain("revocations (0)"));
            Assert.That(lines.Where(l => l.Trim().Length > 0).Last(), Does.StartWith("verified: yes"));
            Assert.That(json.ExitCode, Is.Zero, json.StandardError);
            Assert.That((string?)JsonNode.Parse(json.StandardOutput)!["credential"]!["jti"], Is.EqualTo(jtis[3]));
            Assert.That(JsonNode.Parse(json.StandardOutput)!["accountable"]!["actors"]!.AsArray().Select(a => (string?)a), Is.EqualTo(new[] { broker.Id(SubAgent), broker.Id(SubSubAgent) }));
            Assert.That(shorthand.ExitCode, Is.Zero, shorthand.StandardError);
            Assert.That(JsonNode.DeepEquals(JsonNode.Parse(shorthand.StandardOutput), JsonNode.Parse(json.StandardOutput)), Is.True, "--json is -o json, for the operator role too");
        });
    }

    [Test]
    public async Task A_prompt_id_with_terminal_escapes_CR_LF_and_quotes_is_shown_escaped_and_a_plain_one_as_written()
    {
        await using var broker = await AuditBroker.StartAsync();
        const string Hostile = "p-\u001b[31mred\u001b[0m\r\nverified: yes \"quoted\"\u0007\u202eevil";
        const string Plain = "p-77 \"quoted\"";
        var hostileJtis = await broker.DelegationChainAsync(Hostile);
        var plainJtis = await broker.DelegationChainAsync(Plain);

        var hostile = await broker.CtlAsync("audit", "trace", hostileJtis[^1]);
        var plain = await broker.CtlAsync("audit", "trace", plainJtis[^1]);
        var json = await broker.CtlAsync("audit", "trace", hostileJtis[^1], "-o", "json");

        Assert.Multiple(() =>
        {
            Assert.That(hostile.ExitCode, Is.Zero, hostile.StandardError);
            Assert.That(hostile.StandardOutput, Does.Contain(@"origin: prompt p-\x1b[31mred\x1b[0m\r\nverified: yes ""quoted""\x07\u202eevil · sha256"));
            Assert.That(hostile.StandardOutput, Does.Not.Contain("\u001b").And.Not.Contain("\r").And.Not.Contain("\u0007").And.Not.Contain("\u202e"));
            Assert.That(hostile.StandardOutput.Split('\n'), Has.Length.EqualTo(plain.StandardOutput.Split('\n').Length), "no line was added");
            Assert.That(hostile.StandardOutput.Split('\n').Count(l => l.StartsWith("verified:", StringComparison.Ordinal)), Is.EqualTo(1), "no verdict can be forged");
            Assert.That(hostile.StandardOutput, Does.Contain("verified: yes —"), "the chain with the hostile id still verifies");
            Assert.That(plain.ExitCode, Is.Zero, plain.StandardError);
            Assert.That(plain.StandardOutput, Does.Contain("origin: prompt p-77 \"quoted\" · sha256"), "plain text, quotes included, reads as written");
            Assert.That((string?)JsonNode.Parse(json.StandardOutput)!["task"]!["origin"]!["promptId"], Is.EqualTo(Hostile), "-o json carries the value itself, JSON-escaped");
        });
    }

    [TestCase("altered")]
    [TestCase("missing")]
    [TestCase("reordered")]
    public async Task Verify_exits_0_on_the_log_as_written_and_6_naming_the_event_someone_changed_in_redis(string change)
    {
        await using var broker = await AuditBroker.StartAsync();
        await broker.DelegationChainAsync();
        var intact = await broker.CtlAsync("audit", "verify");
        var intactJson = await broker.CtlAsync("audit", "verify", "-o", "json");

        var (redis, key, connection) = await broker.LogAsync();
        using (connection)
        {
            // The second event of the chain (the first could pass for trimmed): rewritten, deleted, or swapped with the third.
            var entries = await redis.ListRangeAsync(key);
            Assert.That(entries, Has.Length.GreaterThanOrEqualTo(4));
            var second = JsonNode.Parse((string)entries[1]!)!;
            switch (change)
            {
                case "altered":
                    second["event"]!["actor"] = "spiffe://test.example/agents/someone-else";
                    await redis.ListSetByIndexAsync(key, 1, second.ToJsonString());
                    break;
                case "missing":
                    await redis.ListRemoveAsync(key, entries[1]);
                    break;
                default:
                    await redis.ListSetByIndexAsync(key, 1, entries[2]);
                    await redis.ListSetByIndexAsync(key, 2, entries[1]);
                    break;
            }
        }

        var seq = (long)JsonNode.Parse((string)(await broker.EventsAsync())[0])!["seq"]! + 1;
        var tampered = await broker.CtlAsync("audit", "verify");
        var tamperedJson = await broker.CtlAsync("audit", "verify", "--json");
        var result = JsonNode.Parse(tamperedJson.StandardOutput)!;

        Assert.Multiple(() =>
        {
            Assert.That(intact.ExitCode, Is.Zero, intact.StandardError);
            Assert.That(intact.StandardOutput, Does.StartWith("verified: yes"));
            Assert.That(intactJson.ExitCode, Is.Zero);
            Assert.That((bool?)JsonNode.Parse(intactJson.StandardOutput)!["verified"], Is.True);
            Assert.That(tampered.ExitCode, Is.EqualTo(6), tampered.StandardOutput + tampered.StandardError);
            Assert.That(tampered.StandardOutput, Does.StartWith($"verified: no — event {seq} of chain 0 is {change}:"));
            Assert.That(tamperedJson.ExitCode, Is.EqualTo(6));
            Assert.That(((bool?)result["verified"], (long?)result["firstBadEvent"], (int?)result["chain"], (string?)result["reason"]), Is.EqualTo((false, seq, 0, change)));
        });
    }

    [Test]
    public async Task Export_writes_each_event_as_the_broker_sent_it_one_per_line_and_a_rerun_resumes_without_duplicates()
    {
        await using var broker = await AuditBroker.StartAsync();
        await broker.DelegationChainAsync();
        var file = Path.Combine(broker.Directory, "audit.jsonl");

        var first = await broker.CtlAsync("audit", "export", "--out-file", file, "--page-size", "2");
        var firstLines = await File.ReadAllLinesAsync(file);
        var firstEvents = await broker.EventsAsync();
        await broker.DelegationChainAsync(); // more events, then the export runs again
        var second = await broker.CtlAsync("audit", "export", "-f", file, "--page-size", "3");
        var secondLines = await File.ReadAllLinesAsync(file);
        var nothingNew = await broker.CtlAsync("audit", "export", "-f", file);
        var events = await broker.EventsAsync();

        // An export cut short in the middle of a line: the rerun drops the partial line and fetches its event again.
        await File.WriteAllTextAsync(file, string.Join('\n', secondLines[..^1]) + "\n" + secondLines[^1][..20]);
        var interrupted = await broker.CtlAsync("audit", "export", "-f", file);
        var repaired = await File.ReadAllLinesAsync(file);
        var seqs = repaired.Select(l => (long)JsonNode.Parse(l)!["seq"]!).ToList();

        Assert.Multiple(() =>
        {
            Assert.That(first.ExitCode, Is.Zero, first.StandardError);
            Assert.That(firstLines, Is.EqualTo(firstEvents), "each line is the event exactly as the broker sent it");
            Assert.That(first.StandardError, Does.Contain($"wrote {firstEvents.Count} events of chain 0"));
            Assert.That(second.ExitCode, Is.Zero, second.StandardError);
            Assert.That(second.StandardError, Does.Contain($"resuming chain 0 after seq {firstEvents.Count}"));
            Assert.That(secondLines, Is.EqualTo(events), "the rerun appended only the new events");
            Assert.That(nothingNew.ExitCode, Is.Zero, nothingNew.StandardError);
            Assert.That(nothingNew.StandardError, Does.Contain("wrote 0 events"));
            Assert.That(interrupted.ExitCode, Is.Zero, interrupted.StandardError);
            Assert.That(interrupted.StandardError, Does.Contain("dropped a partial last line"));
            Assert.That(repaired, Is.EqualTo(events));
            Assert.That(seqs, Is.EqualTo(Enumerable.Range(1, events.Count).Select(i => (long)i)), "every event once, in order");
        });
    }

    [Test]
    public async Task Export_since_a_time_skips_the_events_before_it_and_to_standard_output_writes_the_same_lines()
    {
        await using var broker = await AuditBroker.StartAsync();
        await broker.DelegationChainAsync();
        var events = await broker.EventsAsync();
        var times = events.Select(e => DateTimeOffset.Parse((string)JsonNode.Parse(e)!["time"]!, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        var since = times[^1];

        var all = await broker.CtlAsync("audit", "export", "--since", "2020-01-01T00:00:00Z");
        var recent = await broker.CtlAsync("audit", "export", "--since", since.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffK", System.Globalization.CultureInfo.InvariantCulture), "--page-size", "1");
        var none = await broker.CtlAsync("audit", "export", "--since", "2100-01-01T00:00:00Z");
        var after = await broker.CtlAsync("audit", "export", "--after", "2");

        Assert.Multiple(() =>
        {
            Assert.That(all.ExitCode, Is.Zero, all.StandardError);
            Assert.That(all.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries), Is.EqualTo(events));
            Assert.That(recent.ExitCode, Is.Zero, recent.StandardError);
            Assert.That(recent.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries), Is.EqualTo(events.Where((_, i) => times[i] >= since)));
            Assert.That(none.StandardOutput, Is.Empty);
            Assert.That(none.StandardError, Does.Contain($"{events.Count} before 2100-01-01T00:00:00.000Z skipped"));
            Assert.That(after.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries), Is.EqualTo(events.Skip(2)));
        });
    }

    [Test]
    public async Task Tasks_continue_as_an_operator_issues_a_fresh_task_token_named_in_the_trace_and_as_an_orchestrator_or_beyond_MaxTaskTtl_is_refused()
    {
        await using var broker = await AuditBroker.StartAsync();
        var (taskId, token, _) = await broker.CreateTaskAsync();
        var tokenFile = Path.Combine(broker.Directory, "task-token");

        var refused = await broker.CtlAsAsync(Orchestrator, "tasks", "continue", taskId, "--extend", "10m", "--reason", "not mine to permit");
        var tooLong = await broker.CtlAsAsync(Operator, "tasks", "continue", taskId, "--extend", "30m", "--reason", "beyond MaxTaskTtl");
        var continued = await broker.CtlAsAsync(Operator, "tasks", "continue", taskId, "--extend", "10m", "--reason", "approved in CHG-7", "--token-file", tokenFile);
        var fresh = await File.ReadAllTextAsync(tokenFile);
        var trace = await broker.CtlAsync("audit", "trace", (string)JwtParts.Payload(fresh)["jti"]!);
        using var soc = broker.As(Soc);
        var old = JsonNode.Parse(await (await soc.PostAsync("/oauth2/introspect", new FormUrlEncodedContent([new("token", token)]))).Content.ReadAsStringAsync())!;

        Assert.Multiple(() =>
        {
            Assert.That(refused.ExitCode, Is.EqualTo(3), refused.StandardError);
            Assert.That(refused.StandardError, Does.Contain("operator"));
            Assert.That(tooLong.ExitCode, Is.EqualTo(2), tooLong.StandardError);
            Assert.That(tooLong.StandardError, Does.Contain("--extend (in seconds) must lie between 1 and 900 (MaxTaskTtl)").And.Not.Contain("'errors'").And.Not.Contain("extendSeconds"),
                "the field error itself, naming the flag the user typed, not a pointer to a list brokerctl does not show");
            Assert.That(continued.ExitCode, Is.Zero, continued.StandardError);
            Assert.That(continued.StandardOutput, Does.Contain($"Task {taskId} (created) continues until").And.Contain($"permitted by {broker.Id(Operator)}"));
            Assert.That(continued.StandardOutput, Does.Not.Contain(fresh), "with --token-file the token is not printed");
            Assert.That(File.GetUnixFileMode(tokenFile), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite));
            Assert.That((string?)JwtParts.Payload(fresh)["task_id"], Is.EqualTo(taskId));
            Assert.That((bool?)old["active"], Is.False, "the old task token is revoked");
            Assert.That(trace.ExitCode, Is.Zero, trace.StandardError);
            Assert.That(trace.StandardOutput, Does.Contain($"continued by: {broker.Id(Operator)}").And.Contain("task.continued · allowed").And.Contain("approved in CHG-7"));
        });
    }
}
