// An agent, with CredentialBroker.Client, against a broker (by default a development-mode broker and its dev credentials):
//   dotnet run --project samples/Agent -- --task-file FILE [--resource-server https://127.0.0.1:8443]
// FILE holds the task token the orchestrator handed over (samples/Orchestrator create). The agent
//   1. exchanges it for a PostgreSQL login of its own (postgres://payments) and reads with it — or says it skips this when
//      the broker has no provider for postgres://payments (samples/README.md shows how to give it one);
//   2. exchanges it for an access token for the invoices API (https://invoices.dev.local) and calls the resource server
//      over mutual TLS with its X.509-SVID;
//   3. shows the resource server refusing that token over another workload's connection (it is bound to the agent);
//   4. delegates the task to the sub-agent, which exchanges the delegated token and calls the resource server itself;
//   5. revokes its access token (RFC 7009) and shows the resource server refusing it.
// Exits non-zero when anything does not behave so.
using System.Net;
using System.Text.Json.Nodes;
using CredentialBroker.Client;
using CredentialBroker.Client.Agents;
using CredentialBroker.Client.Svids;
using CredentialBroker.Samples;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

const string Invoices = "https://invoices.dev.local";
const string Payments = "postgres://payments";
var settings = SampleSettings.Load("agent", args);
var resourceServer = new Uri(settings.Configuration["resource-server"] ?? "https://127.0.0.1:8443");
var resourceServerId = settings.Configuration["resource-server-id"] ?? "spiffe://dev.local/resource-server";
return await settings.RunAsync(async () =>
{
    if (settings.Configuration["task-file"] is not { } taskFile)
    {
        return settings.Fail("usage: Agent --task-file FILE [--resource-server URL] [--broker URL] [--credentials DIR]; FILE comes from: Orchestrator create --task-file FILE");
    }

    var taskToken = (string?)JsonNode.Parse(File.ReadAllText(taskFile))?["token"] ?? throw new IOException($"{taskFile} holds no task token.");
    await using var services = settings.Clients("agent", "sub_agent");
    if (services is null)
    {
        return 1;
    }

    var agent = services.GetRequiredKeyedService<AgentClient>("agent");
    var agentSvids = services.GetRequiredKeyedService<ISvidSource>("agent");
    var subAgent = services.GetRequiredKeyedService<AgentClient>("sub_agent");
    var subAgentSvids = services.GetRequiredKeyedService<ISvidSource>("sub_agent");

    // 1. A PostgreSQL login of the task's own.
    var secret = await agent.GetSecretAsync(taskToken, Payments);
    if (secret.Error is { Code: "secret-provider-unknown" })
    {
        settings.Step($"secret: SKIPPED — the broker has no provider for {Payments} (samples/README.md: 'A PostgreSQL login for the agent')");
    }
    else if (settings.Expect(secret, "exchange for a PostgreSQL login") is { } login)
    {
        var builder = new NpgsqlConnectionStringBuilder { Host = login.Host, Port = login.Port ?? 5432, Database = login.Database, Username = login.Username, Password = login.Password, Pooling = false };
        await using (var connection = new NpgsqlConnection(builder.ConnectionString))
        {
            await connection.OpenAsync();
            await using var query = new NpgsqlCommand("SELECT current_user", connection);
            settings.Step($"secret: PostgreSQL login {login.Username} for {login.Resource} (expires {login.ExpiresAt:O}); connected as {await query.ExecuteScalarAsync()}");
        }
    }
    else
    {
        return 1;
    }

    // 2. The invoices API, with an access token bound to the agent, over mutual TLS with the agent's X.509-SVID.
    var token = settings.Expect(await agent.GetAccessTokenAsync(taskToken, Invoices), "exchange for an access token");
    if (token is null)
    {
        return 1;
    }

    settings.Step($"access token for {Invoices}: scope '{token.Scope}', expires {token.ExpiresAt:O}");
    using var asAgent = new HttpClient(new BrokerAccessTokenHandler(agent, _ => ValueTask.FromResult(taskToken), Invoices) { InnerHandler = new X509SvidHttpHandler(agentSvids, resourceServerId) }) { BaseAddress = resourceServer };
    var invoices = await asAgent.GetAsync("/invoices");
    if (invoices.StatusCode != HttpStatusCode.OK)
    {
        return settings.Fail($"the resource server answered {(int)invoices.StatusCode} to the agent: {invoices.Headers.WwwAuthenticate}");
    }

    settings.Step($"resource server: 200 {await invoices.Content.ReadAsStringAsync()}");

    // 3. The same token over the sub-agent's connection: bound to another workload, refused.
    if (await CallAsync(subAgentSvids, token) is var stolen && stolen.Status != HttpStatusCode.Unauthorized)
    {
        return settings.Fail($"the resource server answered {(int)stolen.Status} to the agent's token on the sub-agent's connection");
    }
    else
    {
        settings.Step($"resource server: 401 for the agent's token on the sub-agent's connection ({stolen.Challenge})");
    }

    // 4. Delegation: the agent names the sub-agent by its SPIFFE ID (the task's mayAct consents to it) and needs none of
    // its credentials (this sample plays the sub-agent too, so it reads the ID from the sub-agent's SVID); the delegated
    // token is bound to the sub-agent, which exchanges it with its own SVID.
    var actor = await subAgentSvids.GetJwtSvidAsync(settings.Broker.AbsoluteUri.TrimEnd('/'), CancellationToken.None);
    var delegated = settings.Expect(await agent.DelegateAsync(taskToken, actor.SpiffeId, audience: Invoices), "delegate to the sub-agent");
    if (delegated is null)
    {
        return 1;
    }

    settings.Step($"delegated the task to {actor.SpiffeId}, for {Invoices} only, expires {delegated.ExpiresAt:O}");
    using var asSubAgent = new HttpClient(new BrokerAccessTokenHandler(subAgent, _ => ValueTask.FromResult(delegated.Token), Invoices) { InnerHandler = new X509SvidHttpHandler(subAgentSvids, resourceServerId) }) { BaseAddress = resourceServer };
    var bySubAgent = await asSubAgent.GetAsync("/invoices");
    if (bySubAgent.StatusCode != HttpStatusCode.OK)
    {
        return settings.Fail($"the resource server answered {(int)bySubAgent.StatusCode} to the sub-agent: {bySubAgent.Headers.WwwAuthenticate}");
    }

    settings.Step($"sub-agent: resource server 200 with its own access token");

    // 5. Revoked: the resource server learns it from the feed (or introspection) and refuses the token.
    (await agent.RevokeTokenAsync(token.Token)).EnsureSuccess();
    var deadline = TimeProvider.System.GetTimestamp();
    (HttpStatusCode Status, string Challenge) revoked;
    while ((revoked = await CallAsync(agentSvids, token)).Status == HttpStatusCode.OK && TimeProvider.System.GetElapsedTime(deadline) < TimeSpan.FromSeconds(30))
    {
        await Task.Delay(TimeSpan.FromMilliseconds(50)); // the feed delivers within milliseconds
    }

    if (revoked.Status != HttpStatusCode.Unauthorized)
    {
        return settings.Fail($"the resource server answered {(int)revoked.Status} to a revoked token");
    }

    settings.Step($"revoked the access token; resource server: 401 ({revoked.Challenge})");
    return 0;
});

// GET /invoices with a given access token over the mutual TLS connection of the workload whose SVIDs are given.
async Task<(HttpStatusCode Status, string Challenge)> CallAsync(ISvidSource svids, IssuedToken token)
{
    using var client = new HttpClient(new X509SvidHttpHandler(svids, resourceServerId)) { BaseAddress = resourceServer };
    using var request = new HttpRequestMessage(HttpMethod.Get, "/invoices");
    request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue(token.TokenType, token.Token);
    using var response = await client.SendAsync(request);
    return (response.StatusCode, response.Headers.WwwAuthenticate.ToString());
}
