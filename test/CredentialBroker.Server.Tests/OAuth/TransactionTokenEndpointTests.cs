using System.Net;
using System.Text.Json.Nodes;
using CredentialBroker.Testing;

namespace CredentialBroker.Server.Tests.OAuth;

/// <summary>
/// The Transaction Token profile of <c>POST /oauth2/token</c> (draft-ietf-oauth-transaction-tokens-10 §9) on a real Redis:
/// the request and response to the letter, introspection for the trust domain's resource servers, the audit record, and
/// revocation with the task. Every refusal has a twin that succeeds.
/// </summary>
public sealed class TransactionTokenEndpointTests : IDisposable
{
    internal const string TrustDomain = "test.example";
    internal const string TxnType = "urn:ietf:params:oauth:token-type:txn_token";
    private readonly BrokerApp _app = BrokerApp.Redis();

    public TransactionTokenEndpointTests() => _app.Settings["CredentialBroker:TransactionTokens:TrustDomain"] = TrustDomain;

    public void Dispose() => _app.Dispose();

    internal static Task<HttpResponseMessage> RequestAsync(HttpClient client, string subjectToken, string scope, string subjectType = Api.JwtType, string audience = TrustDomain) =>
        client.TokenAsync(
            ("grant_type", Api.TokenExchange),
            ("requested_token_type", TxnType),
            ("audience", audience),
            ("scope", scope),
            ("subject_token", subjectToken),
            ("subject_token_type", subjectType));

    [Test]
    public async Task A_task_token_is_exchanged_for_a_transaction_token_as_the_draft_describes()
    {
        var (taskId, taskToken, _) = await _app.As(BrokerApp.Orchestrator).CreateTaskOkAsync(_app.AgentId);

        var response = await RequestAsync(_app.As(BrokerApp.Agent), taskToken, "sql.query:read");
        var body = await response.JsonAsync();
        var token = (string)body["access_token"]!;
        var claims = JwtParts.Payload(token);

        Assert.Multiple(() =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(response.Headers.CacheControl?.NoStore, Is.True);
            Assert.That((string?)body["issued_token_type"], Is.EqualTo(TxnType));
            Assert.That((string?)body["token_type"], Is.EqualTo("N_A"));
            Assert.That(body.ContainsKey("refresh_token"), Is.False);
            Assert.That((string?)JwtParts.Header(token)["typ"], Is.EqualTo("txntoken+jwt"));
            Assert.That((string?)claims["aud"], Is.EqualTo(TrustDomain));
            Assert.That((string?)claims["txn"], Is.EqualTo(taskId));
            Assert.That((string?)claims["sub"], Is.EqualTo(_app.AgentId));
            Assert.That((string?)claims["req_wl"], Is.EqualTo(_app.AgentId));
            Assert.That((string?)claims["scope"], Is.EqualTo("sql.query:read"));
            Assert.That(claims["tctx"], Is.InstanceOf<JsonObject>());
            Assert.That(claims["rctx"], Is.InstanceOf<JsonObject>());
        });
    }

    [Test]
    public async Task A_transaction_token_subject_is_accepted_only_for_its_replacement()
    {
        var (_, taskToken, _) = await _app.As(BrokerApp.Orchestrator).CreateTaskOkAsync(_app.AgentId);
        var txn = (string)(await (await RequestAsync(_app.As(BrokerApp.Agent), taskToken, "sql.query:read")).JsonAsync())["access_token"]!;

        var forAccessToken = await _app.As(BrokerApp.Agent).TokenAsync(
            ("grant_type", Api.TokenExchange), ("resource", "postgres://payments"), ("subject_token", txn), ("subject_token_type", TxnType));
        var replacement = await RequestAsync(_app.As(BrokerApp.OtherAgent), txn, "sql.query:read", subjectType: TxnType);
        var replaced = JwtParts.Payload((string)(await replacement.JsonAsync())["access_token"]!);
        var refusal = await forAccessToken.JsonAsync();

        Assert.Multiple(() =>
        {
            Assert.That(forAccessToken.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That((string?)refusal["error"], Is.EqualTo("invalid_request"));
            Assert.That(replacement.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That((string?)replaced["txn"], Is.EqualTo((string?)JwtParts.Payload(txn)["txn"]));
            Assert.That((string?)replaced["req_wl"], Is.EqualTo($"{_app.AgentId}, {_app.Trust.Id(BrokerApp.OtherAgent)}"));
        });
    }

    [Test]
    public async Task The_trust_domain_goes_in_audience_and_nothing_else_will_do()
    {
        var (_, taskToken, _) = await _app.As(BrokerApp.Orchestrator).CreateTaskOkAsync(_app.AgentId);

        var resource = await _app.As(BrokerApp.Agent).TokenAsync(
            ("grant_type", Api.TokenExchange), ("requested_token_type", TxnType), ("resource", "https://test.example"), ("scope", "sql.query:read"),
            ("subject_token", taskToken), ("subject_token_type", Api.JwtType));
        var otherDomain = await RequestAsync(_app.As(BrokerApp.Agent), taskToken, "sql.query:read", audience: "other.example");
        var trustDomain = await RequestAsync(_app.As(BrokerApp.Agent), taskToken, "sql.query:read");
        var (resourceError, otherDomainError) = ((await resource.JsonAsync())["error"], (await otherDomain.JsonAsync())["error"]);

        Assert.Multiple(() =>
        {
            Assert.That((string?)resourceError, Is.EqualTo("invalid_target"));
            Assert.That((string?)otherDomainError, Is.EqualTo("invalid_target"));
            Assert.That(trustDomain.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        });
    }

    [Test]
    public async Task A_resource_server_introspects_a_transaction_token_until_the_task_ends()
    {
        var (taskId, taskToken, _) = await _app.As(BrokerApp.Orchestrator).CreateTaskOkAsync(_app.AgentId);
        var txn = (string)(await (await RequestAsync(_app.As(BrokerApp.Agent), taskToken, "sql.query:read")).JsonAsync())["access_token"]!;

        var before = await _app.As(BrokerApp.ResourceServer).IntrospectJsonAsync(txn);
        (await _app.As(BrokerApp.Orchestrator).ChangeStateAsync(taskId, "completed")).EnsureSuccessStatusCode();
        var after = await _app.As(BrokerApp.ResourceServer).IntrospectJsonAsync(txn);

        Assert.Multiple(() =>
        {
            Assert.That((bool?)before["active"], Is.True);
            Assert.That((string?)before["token_type"], Is.EqualTo("txntoken+jwt"));
            Assert.That((string?)before["txn"], Is.EqualTo(taskId));
            Assert.That(after.ToJsonString(), Is.EqualTo("""{"active":false}"""));
        });
    }

    [Test]
    public async Task Issuing_a_transaction_token_is_on_the_audit_record_under_its_task_token()
    {
        var (_, taskToken, taskJti) = await _app.As(BrokerApp.Orchestrator).CreateTaskOkAsync(_app.AgentId);
        var txn = (string)(await (await RequestAsync(_app.As(BrokerApp.Agent), taskToken, "sql.query:read")).JsonAsync())["access_token"]!;
        var jti = (string)JwtParts.Payload(txn)["jti"]!;

        var trace = await (await _app.As(BrokerApp.Soc).GetAsync($"/v1/audit/trace?jti={jti}")).JsonAsync();

        Assert.Multiple(() =>
        {
            Assert.That((string?)trace["credential"]!["kind"], Is.EqualTo("txn_token"));
            Assert.That((string?)trace["ancestors"]![0]!["jti"], Is.EqualTo(taskJti));
            Assert.That(trace["decisions"]!.AsArray().Select(d => (string?)d!["type"]), Is.EqualTo(new[] { "task.created", "credential.issued" }));
        });
    }
}
