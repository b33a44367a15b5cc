using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography.X509Certificates;
using CredentialBroker.Testing;

namespace CredentialBroker.Server.Tests.Hosting;

/// <summary>The samples run against the real broker, so they never rot.</summary>
public sealed class SampleTests
{
    [Test]
    public async Task The_orchestrator_sample_sees_its_token_die_on_completion()
    {
        var credentials = Path.Combine(Scratch.CreateDirectory("cb-dev-").FullName, "dev.json");
        var broker = $"http://127.0.0.1:{BrokerProcess.FreePort()}";
        await using var process = await BrokerProcess.StartListeningAsync(
            new Dictionary<string, string> { ["ASPNETCORE_ENVIRONMENT"] = "Development" }, "--urls", broker, "--dev-credentials-file", credentials);

        var sample = await ProcessRunner.RunAsync(ProcessRunner.DotnetHost,
            [Path.Combine(AppContext.BaseDirectory, "Orchestrator.dll"), "--broker", broker, "--credentials", Path.GetDirectoryName(credentials)!]);

        Assert.Multiple(() =>
        {
            Assert.That(sample.ExitCode, Is.Zero, sample.StandardError);
            Assert.That(sample.StandardOutput, Does.Contain("introspection before completion: active")
                .And.Contain("1 credential(s) revoked").And.Contain("introspection after completion: inactive"));
        });
    }

    // The "Run them all" block of samples/README.md, verbatim, from the repository root; SAMPLES_BIN runs what the tests' build built.
    [Test]
    public async Task Samples_readme_run_block_runs_every_sample_against_a_dev_broker_it_starts_and_stops()
    {
        const string Begin = "<!-- run:begin -->";
        var readme = await File.ReadAllTextAsync(Repository.Path("samples", "README.md"));
        var block = readme[(readme.IndexOf(Begin, StringComparison.Ordinal) + Begin.Length)..readme.IndexOf("<!-- run:end -->", StringComparison.Ordinal)].Trim().Split('\n');
        Assert.That(block[0].Trim(), Is.EqualTo("```bash"), "the run block is one bash block");

        // The report goes where the test removes it, not into a new directory of the machine's temporary folder.
        var scratch = Directory.CreateTempSubdirectory("cb-samples-test-");
        var report = Path.Combine(scratch.FullName, "exposure-report.html");
        ProcessRunner.Result run;
        string? kept;
        try
        {
            run = await ProcessRunner.RunAsync("bash", ["-euo", "pipefail", "-c", $"cd '{Repository.Root}'\n" + string.Join('\n', block[1..^1])], new Dictionary<string, string>
            {
                ["SAMPLES_BIN"] = AppContext.BaseDirectory,
                ["REPORT"] = report,
            });
            kept = File.Exists(report) ? await File.ReadAllTextAsync(report) : null;
        }
        finally
        {
            scratch.Delete(recursive: true);
        }

        Assert.Multiple(() =>
        {
            Assert.That(run.ExitCode, Is.Zero, run.StandardOutput + run.StandardError);
            Assert.That(run.StandardOutput, Does.Contain("[agent] resource server: 200")
                .And.Contain("[agent] resource server: 401 for the agent's token on the sub-agent's connection")
                .And.Contain("[agent] sub-agent: resource server 200")
                .And.Contain("[agent] revoked the access token; resource server: 401")
                .And.Contain("[mcp-agent] MCP server without a token: 401 (Bearer resource_metadata=")
                .And.Contain("[mcp-agent] lookup_invoice: INV-1001: ACME Corp")
                .And.Contain("[mcp-agent] revoked the MCP access token; MCP server: 401")
                .And.Contain("[soc] revocation completed")
                .And.Contain("[soc] wrote the exposure-window report"));
            Assert.That(run.StandardOutput.TrimEnd(), Does.EndWith($"==> every sample passed; the exposure report is kept at {report}"));
            Assert.That(kept, Does.Contain("<svg"), "the report is kept where REPORT says");
            Assert.That(run.StandardError, Does.Not.Contain("   at "), "no stack trace");
        });
    }

    // The positive twin of each case is the run.sh test above, where every sample finds its settings.
    [TestCase("Orchestrator.dll", 1, "FAILED: no dev credentials at")]
    [TestCase("Agent.dll", 1, "FAILED: no dev credentials at")]
    [TestCase("Soc.dll", 1, "FAILED: no dev credentials at")]
    [TestCase("ResourceServer.dll", 2, "does not exist: start a development-mode broker")]
    [TestCase("McpAgent.dll", 1, "FAILED: no dev credentials at")]
    [TestCase("McpServer.dll", 2, "does not exist: start a development-mode broker")]
    public async Task A_sample_without_its_credentials_says_so_in_one_line(string sample, int exitCode, string message)
    {
        var scratch = Directory.CreateTempSubdirectory("cb-sample-").FullName;
        var taskFile = Path.Combine(scratch, "task.json");
        await File.WriteAllTextAsync(taskFile, """{"taskId": "tsk_x", "token": "x"}""");

        var run = await ProcessRunner.RunAsync(ProcessRunner.DotnetHost,
            [Path.Combine(AppContext.BaseDirectory, sample), "--credentials", Path.Combine(scratch, "missing"), "--task-file", taskFile]);

        Assert.Multiple(() =>
        {
            Assert.That(run.ExitCode, Is.EqualTo(exitCode));
            Assert.That(run.StandardError.TrimEnd().Split('\n'), Has.Length.EqualTo(1).And.One.Contains(message), run.StandardError);
        });
    }

    [Test]
    public async Task The_resource_server_sample_serves_its_holder_over_mutual_tls_and_refuses_the_token_once_revoked()
    {
        using var trust = new TestTrustDomain("sample.example");
        using var pki = new TestPki("sample.example");
        var brokerUrl = $"http://127.0.0.1:{BrokerProcess.FreePort()}";
        await using var broker = await BrokerProcess.StartListeningAsync(new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["ConnectionStrings__Redis"] = RedisFixture.Server.ConnectionString,
            ["CredentialBroker__Redis__KeyPrefix"] = "t" + Guid.NewGuid().ToString("N")[..12],
            ["CredentialBroker__Issuer"] = brokerUrl,
            ["CredentialBroker__SigningKeys__0__Path"] = KeyFiles.WriteEs256Pem(),
            ["CredentialBroker__TrustBundles__sample.example"] = trust.BundlePath,
            ["CredentialBroker__Roles__Orchestrator__0"] = "spiffe://sample.example/orchestrator",
            ["CredentialBroker__Roles__Agent__0"] = "spiffe://sample.example/agents/",
            ["CredentialBroker__Roles__ResourceServer__0"] = "spiffe://sample.example/payments-db",
        }, "--urls", brokerUrl);

        using var serverSvid = pki.Issue("spiffe://sample.example/payments-db", server: true);
        var (certificateFile, keyFile) = pki.Write(serverSvid, "payments-db");
        var jwtSvidFile = Path.Combine(Path.GetDirectoryName(pki.BundleFile)!, "payments-db.jwt");
        await File.WriteAllTextAsync(jwtSvidFile, trust.Svid("/payments-db", brokerUrl, TimeProvider.System.GetUtcNow()));
        var sampleUrl = $"https://127.0.0.1:{BrokerProcess.FreePort()}";
        await using var sample = await BrokerProcess.StartAppListeningAsync("ResourceServer.dll", new Dictionary<string, string>
        {
            ["ResourceServer__CertificateFile"] = certificateFile,
            ["ResourceServer__KeyFile"] = keyFile,
            ["ResourceServer__BundleFile"] = pki.BundleFile,
            ["ResourceServer__JwtSvidFile"] = jwtSvidFile,
            ["ResourceServer__BrokerIssuer"] = brokerUrl,
            ["ResourceServer__Audience"] = "postgres://payments",
            ["ResourceServer__RequireHttps"] = "false",
        }, "--urls", sampleUrl);
        await sample.WaitForOutputAsync("Following the broker's revocation feed");

        using var orchestrator = new HttpClient { BaseAddress = new Uri(brokerUrl) };
        orchestrator.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", trust.Svid("/orchestrator", brokerUrl, TimeProvider.System.GetUtcNow()));
        using var agentBroker = new HttpClient { BaseAddress = new Uri(brokerUrl) };
        agentBroker.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", trust.Svid("/agents/invoice-bot", brokerUrl, TimeProvider.System.GetUtcNow()));
        var (taskId, taskToken, _) = await orchestrator.CreateTaskOkAsync("spiffe://sample.example/agents/invoice-bot");
        var exchanged = await agentBroker.AccessTokenAsync(taskToken, "postgres://payments");
        var accessToken = (string)(await exchanged.JsonAsync())["access_token"]!;

        using var agentSvid = pki.Issue("spiffe://sample.example/agents/invoice-bot");
        using var otherSvid = pki.Issue("spiffe://sample.example/agents/other-bot");
        var before = await GetInvoicesAsync(sampleUrl, pki, agentSvid, accessToken);
        var stolen = await GetInvoicesAsync(sampleUrl, pki, otherSvid, accessToken);
        (await orchestrator.ChangeStateAsync(taskId, "completed")).EnsureSuccessStatusCode();
        await sample.WaitForOutputAsync($"revoked {JwtParts.Payload(accessToken)["jti"]}");
        var after = await GetInvoicesAsync(sampleUrl, pki, agentSvid, accessToken);

        Assert.Multiple(() =>
        {
            Assert.That(exchanged.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(before, Is.EqualTo((HttpStatusCode.OK, true)), sample.Output);
            Assert.That(stolen.Status, Is.EqualTo(HttpStatusCode.Unauthorized), "another workload's connection");
            Assert.That(after.Status, Is.EqualTo(HttpStatusCode.Unauthorized));
        });
    }

    // GET /invoices over mutual TLS as the holder of clientCertificate; the answer must name the agent.
    private static async Task<(HttpStatusCode Status, bool NamesAgent)> GetInvoicesAsync(string url, TestPki pki, X509Certificate2 clientCertificate, string accessToken)
    {
        using var handler = new HttpClientHandler
        {
            ClientCertificateOptions = ClientCertificateOption.Manual,
            ServerCertificateCustomValidationCallback = (_, certificate, chain, _) =>
            {
                chain!.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.Add(pki.Authority);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                return chain.Build(certificate!);
            },
        };
        handler.ClientCertificates.Add(clientCertificate);
        using var client = new HttpClient(handler) { BaseAddress = new Uri(url) };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/invoices");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        using var response = await client.SendAsync(request);
        return (response.StatusCode, (await response.Content.ReadAsStringAsync()).Contains("spiffe://sample.example/agents/invoice-bot", StringComparison.Ordinal));
    }
}
