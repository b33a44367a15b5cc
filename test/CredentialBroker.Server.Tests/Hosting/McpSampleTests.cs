using CredentialBroker.Testing;

namespace CredentialBroker.Server.Tests.Hosting;

/// <summary>
/// The MCP samples against a production-mode broker on a real Redis: the orchestrator grants the agent the MCP server,
/// the agent discovers the server's broker from its protected-resource metadata (RFC 9728), exchanges its task token for
/// that server (RFC 8693 with resource=, RFC 8707), calls lookup_invoice over streamable HTTP, and sees the server refuse
/// a missing token, a token for another resource and its own token once revoked.
/// </summary>
public sealed class McpSampleTests
{
    [Test]
    public async Task The_mcp_agent_sample_calls_lookup_invoice_on_the_mcp_server_sample_with_a_token_exchanged_for_it()
    {
        // The samples' default identities are the development-mode broker's, so this trust domain has its name.
        using var trust = new TestTrustDomain("dev.local");
        using var pki = new TestPki("dev.local");
        var brokerUrl = $"http://127.0.0.1:{BrokerProcess.FreePort()}";
        var mcpServer = $"https://127.0.0.1:{BrokerProcess.FreePort()}";
        var resource = mcpServer + "/mcp";
        await using var broker = await BrokerProcess.StartListeningAsync(new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["ConnectionStrings__Redis"] = RedisFixture.Server.ConnectionString,
            ["CredentialBroker__Redis__KeyPrefix"] = "t" + Guid.NewGuid().ToString("N")[..12],
            ["CredentialBroker__Issuer"] = brokerUrl,
            ["CredentialBroker__SigningKeys__0__Path"] = KeyFiles.WriteEs256Pem(),
            ["CredentialBroker__TrustBundles__dev.local"] = trust.BundlePath,
            ["CredentialBroker__Roles__Orchestrator__0"] = "spiffe://dev.local/orchestrator",
            ["CredentialBroker__Roles__Agent__0"] = "spiffe://dev.local/agent",
            ["CredentialBroker__Roles__ResourceServer__0"] = "spiffe://dev.local/resource-server",
            ["CredentialBroker__ResourceServers__mcp__Id"] = "spiffe://dev.local/resource-server",
            ["CredentialBroker__ResourceServers__mcp__Resources__0"] = resource,
        }, "--urls", brokerUrl);

        using var serverSvid = pki.Issue("spiffe://dev.local/resource-server", server: true);
        var (serverCertificate, serverKey) = pki.Write(serverSvid, "resource-server");
        await using var server = await BrokerProcess.StartAppListeningAsync("McpServer.dll", new Dictionary<string, string>
        {
            ["McpServer__CertificateFile"] = serverCertificate,
            ["McpServer__KeyFile"] = serverKey,
            ["McpServer__BundleFile"] = pki.BundleFile,
            ["McpServer__JwtSvidFile"] = await WriteJwtSvidAsync(trust, pki, "/resource-server", brokerUrl),
            ["McpServer__BrokerIssuer"] = brokerUrl,
        }, "--urls", mcpServer);
        await server.WaitForOutputAsync("Following the broker's revocation feed");

        var taskFile = Path.Combine(Directory.CreateTempSubdirectory("cb-mcp-").FullName, "task.json");
        var orchestrator = await ProcessRunner.RunAsync(ProcessRunner.DotnetHost,
            [Path.Combine(AppContext.BaseDirectory, "Orchestrator.dll"), "create", "--task-file", taskFile, "--mcp-server", resource, "--broker", brokerUrl],
            new Dictionary<string, string> { ["CredentialBroker__Svids__JwtSvidFile"] = await WriteJwtSvidAsync(trust, pki, "/orchestrator", brokerUrl) });
        Assert.That(orchestrator.ExitCode, Is.Zero, orchestrator.StandardOutput + orchestrator.StandardError);

        using var agentSvid = pki.Issue("spiffe://dev.local/agent");
        var (agentCertificate, agentKey) = pki.Write(agentSvid, "agent");
        var agent = await ProcessRunner.RunAsync(ProcessRunner.DotnetHost,
            [Path.Combine(AppContext.BaseDirectory, "McpAgent.dll"), "--task-file", taskFile, "--mcp-server", resource, "--broker", brokerUrl],
            new Dictionary<string, string>
            {
                ["CredentialBroker__Svids__JwtSvidFile"] = await WriteJwtSvidAsync(trust, pki, "/agent", brokerUrl),
                ["CredentialBroker__Svids__CertificateFile"] = agentCertificate,
                ["CredentialBroker__Svids__KeyFile"] = agentKey,
                ["CredentialBroker__Svids__BundleFile"] = pki.BundleFile,
            });

        var metadata = $"resource_metadata=\"{mcpServer}/.well-known/oauth-protected-resource/mcp\"";
        Assert.Multiple(() =>
        {
            Assert.That(agent.ExitCode, Is.Zero, agent.StandardOutput + agent.StandardError + server.Output);
            Assert.That(agent.StandardOutput, Does.Contain($"[mcp-agent] MCP server without a token: 401 (Bearer {metadata})")
                .And.Contain($"[mcp-agent] protected-resource metadata: resource {resource}, authorization server {brokerUrl}, bearer methods [\"header\"]")
                .And.Contain($"[mcp-agent] access token for {resource}: scope 'mcp.lookup_invoice:read'")
                .And.Contain("tools lookup_invoice")
                .And.Contain("[mcp-agent] lookup_invoice: INV-1001: ACME Corp, 1250.00 EUR (read for spiffe://dev.local/agent)")
                .And.Contain($"[mcp-agent] MCP server: 401 for the agent's token for https://invoices.dev.local (Bearer {metadata}, error=\"invalid_token\"")
                .And.Contain($"[mcp-agent] revoked the MCP access token; MCP server: 401 (Bearer {metadata}, error=\"invalid_token\", error_description=\"The token is revoked.\")"));
            Assert.That(server.Output, Does.Contain("[mcp-server] revoked"), "the server learnt the revocation from the feed");
        });
    }

    private static async Task<string> WriteJwtSvidAsync(TestTrustDomain trust, TestPki pki, string path, string broker)
    {
        var file = Path.Combine(Path.GetDirectoryName(pki.BundleFile)!, path.Trim('/') + ".jwt");
        await File.WriteAllTextAsync(file, trust.Svid(path, broker, TimeProvider.System.GetUtcNow()));
        return file;
    }
}
