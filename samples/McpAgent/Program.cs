// An agent that calls a tool of an MCP server behind CredentialBroker (samples/McpServer), with CredentialBroker.Client
// and the MCP C# SDK, against a broker (by default a development-mode broker and its dev credentials):
//   dotnet run --project samples/McpAgent -- --task-file FILE [--mcp-server https://127.0.0.1:8444/mcp]
// FILE holds the task token the orchestrator handed over (samples/Orchestrator create --mcp-server URL grants the MCP
// server). The agent, over mutual TLS with its X.509-SVID throughout,
//   1. calls the MCP server without a token: 401, whose WWW-Authenticate names the server's protected-resource metadata;
//   2. reads the metadata (RFC 9728): its resource must be the URL called, its authorization servers must include the broker;
//   3. exchanges its task token for an access token for that resource (RFC 8693, resource= as RFC 8707);
//   4. connects with the MCP client over streamable HTTP, lists the tools and calls lookup_invoice;
//   5. shows the server refusing the agent's access token for another resource (https://invoices.dev.local);
//   6. revokes its MCP access token (RFC 7009) and shows the server refusing it.
// Exits non-zero when anything does not behave so.
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using CredentialBroker.Client.Agents;
using CredentialBroker.Client.Svids;
using CredentialBroker.Samples;
using Microsoft.Extensions.DependencyInjection;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

const string Invoices = "https://invoices.dev.local";
var settings = SampleSettings.Load("mcp-agent", args);
var mcpServer = new Uri(settings.Configuration["mcp-server"] ?? "https://127.0.0.1:8444/mcp");
var mcpServerId = settings.Configuration["mcp-server-id"] ?? "spiffe://dev.local/resource-server";
var issuer = settings.Broker.AbsoluteUri.TrimEnd('/');
return await settings.RunAsync(async () =>
{
    if (settings.Configuration["task-file"] is not { } taskFile)
    {
        return settings.Fail("usage: McpAgent --task-file FILE [--mcp-server URL] [--broker URL] [--credentials DIR]; FILE comes from: Orchestrator create --task-file FILE --mcp-server URL");
    }

    var taskToken = (string?)JsonNode.Parse(File.ReadAllText(taskFile))?["token"] ?? throw new IOException($"{taskFile} holds no task token.");
    await using var services = settings.Clients("agent");
    if (services is null)
    {
        return 1;
    }

    var agent = services.GetRequiredKeyedService<AgentClient>("agent");
    var svids = services.GetRequiredKeyedService<ISvidSource>("agent");
    using var mtls = new HttpClient(new X509SvidHttpHandler(svids, mcpServerId));

    // 1. No token: the challenge names the metadata.
    var anonymous = await ProbeAsync(mtls, null);
    var metadataUrl = Regex.Match(anonymous.Challenge, "resource_metadata=\"([^\"]+)\"") is { Success: true } found ? found.Groups[1].Value : null;
    if (anonymous.Status != HttpStatusCode.Unauthorized || metadataUrl is null)
    {
        return settings.Fail($"the MCP server answered {(int)anonymous.Status} without a token, challenge '{anonymous.Challenge}': expected 401 with resource_metadata");
    }

    settings.Step($"MCP server without a token: 401 ({anonymous.Challenge})");

    // 2. The metadata: the resource is the URL called (RFC 9728 §3.3), and the broker is one of its authorization servers.
    var metadata = JsonNode.Parse(await mtls.GetStringAsync(new Uri(metadataUrl)))!;
    var resource = (string?)metadata["resource"];
    var authorizationServers = metadata["authorization_servers"]?.AsArray().Select(s => (string?)s).ToList() ?? [];
    if (resource != mcpServer.OriginalString.TrimEnd('/') || !authorizationServers.Contains(issuer))
    {
        return settings.Fail($"the metadata names resource {resource} and authorization servers [{string.Join(", ", authorizationServers)}]: expected {mcpServer} and {issuer}");
    }

    settings.Step($"protected-resource metadata: resource {resource}, authorization server {issuer}, bearer methods {metadata["bearer_methods_supported"]?.ToJsonString()}");

    // 3. An access token for exactly that resource.
    var token = settings.Expect(await agent.GetAccessTokenAsync(taskToken, resource), $"exchange for an access token for {resource}");
    if (token is null)
    {
        return 1;
    }

    settings.Step($"access token for {resource}: scope '{token.Scope}', expires {token.ExpiresAt:O}");

    // 4. The MCP client over streamable HTTP; BrokerAccessTokenHandler puts the token (renewed before it expires) on each request.
    using (var http = new HttpClient(new BrokerAccessTokenHandler(agent, _ => ValueTask.FromResult(taskToken), resource) { InnerHandler = new X509SvidHttpHandler(svids, mcpServerId) }))
    {
        var transport = new HttpClientTransport(new HttpClientTransportOptions { Endpoint = mcpServer, TransportMode = HttpTransportMode.StreamableHttp, Name = "invoices" }, http, ownsHttpClient: false);
        await using var client = await McpClient.CreateAsync(transport);
        var tools = await client.ListToolsAsync();
        settings.Step($"MCP session with {client.ServerInfo?.Name} (protocol {client.NegotiatedProtocolVersion}): tools {string.Join(", ", tools.Select(t => t.Name))}");
        var result = await client.CallToolAsync("lookup_invoice", new Dictionary<string, object?> { ["invoice"] = "INV-1001" });
        var text = string.Concat(result.Content.OfType<TextContentBlock>().Select(c => c.Text));
        if (result.IsError == true || !text.Contains("INV-1001", StringComparison.Ordinal))
        {
            return settings.Fail($"lookup_invoice answered: {text}");
        }

        settings.Step($"lookup_invoice: {text}");
    }

    // 5. An access token of the same task for another resource: its aud is not this server.
    var other = settings.Expect(await agent.GetAccessTokenAsync(taskToken, Invoices), $"exchange for an access token for {Invoices}");
    if (other is null)
    {
        return 1;
    }

    var misdirected = await ProbeAsync(mtls, other);
    if (misdirected.Status != HttpStatusCode.Unauthorized)
    {
        return settings.Fail($"the MCP server answered {(int)misdirected.Status} to a token for {Invoices}");
    }

    settings.Step($"MCP server: 401 for the agent's token for {Invoices} ({misdirected.Challenge})");

    // 6. Revoked: the server learns it from the feed (or introspection) and refuses the token.
    (await agent.RevokeTokenAsync(token.Token)).EnsureSuccess();
    var start = TimeProvider.System.GetTimestamp();
    (HttpStatusCode Status, string Challenge) revoked;
    while ((revoked = await ProbeAsync(mtls, token)).Status == HttpStatusCode.OK && TimeProvider.System.GetElapsedTime(start) < TimeSpan.FromSeconds(30))
    {
        await Task.Delay(TimeSpan.FromMilliseconds(50)); // the feed delivers within milliseconds
    }

    if (revoked.Status != HttpStatusCode.Unauthorized)
    {
        return settings.Fail($"the MCP server answered {(int)revoked.Status} to a revoked token");
    }

    settings.Step($"revoked the MCP access token; MCP server: 401 ({revoked.Challenge})");
    return 0;
});

// An MCP initialize request (streamable HTTP) with the given access token, or none: the status and the challenge.
async Task<(HttpStatusCode Status, string Challenge)> ProbeAsync(HttpClient client, IssuedToken? token)
{
    const string Initialize = """{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"probe","version":"1.0"}}}""";
    using var request = new HttpRequestMessage(HttpMethod.Post, mcpServer) { Content = new StringContent(Initialize, Encoding.UTF8, "application/json") };
    request.Headers.Accept.ParseAdd("application/json");
    request.Headers.Accept.ParseAdd("text/event-stream");
    if (token is not null)
    {
        request.Headers.Authorization = new AuthenticationHeaderValue(token.TokenType, token.Token);
    }

    using var response = await client.SendAsync(request);
    return (response.StatusCode, response.Headers.WwwAuthenticate.ToString());
}
