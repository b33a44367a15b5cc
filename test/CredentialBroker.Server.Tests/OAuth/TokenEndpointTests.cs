using System.Net;
using CredentialBroker.Testing;

namespace CredentialBroker.Server.Tests.OAuth;

/// <summary>RFC 8693 at the token endpoint against a real Redis: parameters to the letter, every error code, and whole flows.</summary>
public sealed class TokenEndpointTests : IDisposable
{
    private const string Helper = "/agents/helper";
    private readonly BrokerApp _app = BrokerApp.Redis();

    public void Dispose() => _app.Dispose();

    private async Task<(string TaskId, string Token)> NewTaskAsync(int maxDelegationDepth = 2)
    {
        var body = Api.TaskBody(_app.AgentId).Replace("\"maxDelegationDepth\": 2", $"\"maxDelegationDepth\": {maxDelegationDepth}", StringComparison.Ordinal);
        var response = await _app.As(BrokerApp.Orchestrator).CreateTaskAsync(body);
        var json = await response.JsonAsync();
        return ((string)json["taskId"]!, (string)json["token"]!);
    }

    private static async Task<string> ErrorOf(HttpResponseMessage response) => (string)(await response.JsonAsync())["error"]!;

    [Test]
    public async Task An_exchange_answers_the_rfc_8693_response_members()
    {
        var (_, token) = await NewTaskAsync();

        var response = await _app.As(BrokerApp.Agent).AccessTokenAsync(token);
        var body = await response.JsonAsync();

        Assert.Multiple(() =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(response.Headers.CacheControl!.NoStore, Is.True);
            Assert.That(body.Select(p => p.Key), Is.EquivalentTo(new[] { "access_token", "issued_token_type", "token_type", "expires_in", "scope" }));
            Assert.That((string?)body["issued_token_type"], Is.EqualTo("urn:ietf:params:oauth:token-type:access_token"));
            Assert.That((string?)body["token_type"], Is.EqualTo("Bearer"));
            Assert.That((int)body["expires_in"]!, Is.EqualTo(300));
            Assert.That((string?)body["scope"], Is.EqualTo("sql.query:read"));
            Assert.That((string?)JwtParts.Header((string)body["access_token"]!)["typ"], Is.EqualTo("at+jwt"));
        });
    }

    [Test]
    public async Task The_access_token_introspects_active_for_the_resource_server_until_the_task_completes()
    {
        var (taskId, token) = await NewTaskAsync();
        var accessToken = (string)(await (await _app.As(BrokerApp.Agent).AccessTokenAsync(token)).JsonAsync())["access_token"]!;
        var resourceServer = _app.As(BrokerApp.ResourceServer);
        var before = await resourceServer.IntrospectJsonAsync(accessToken);

        await _app.As(BrokerApp.Orchestrator).ChangeStateAsync(taskId, "completed");
        var after = await resourceServer.IntrospectJsonAsync(accessToken);

        Assert.Multiple(() =>
        {
            Assert.That((bool?)before["active"], Is.True);
            Assert.That((string?)before["token_type"], Is.EqualTo("at+jwt"));
            Assert.That((string?)before["aud"], Is.EqualTo("postgres://payments"));
            Assert.That((string?)before["client_id"], Is.EqualTo(_app.AgentId));
            Assert.That((bool?)after["active"], Is.False);
        });
    }

    [Test]
    public async Task A_delegation_chain_runs_end_to_end_and_dies_with_its_root()
    {
        var (taskId, token) = await NewTaskAsync();
        var delegated = await _app.As(BrokerApp.Agent).DelegateAsync(token, _app.Trust.Id(Helper));
        var delegatedBody = await delegated.JsonAsync();
        var delegatedToken = (string)delegatedBody["access_token"]!;
        var access = await _app.As(Helper).AccessTokenAsync(delegatedToken);
        var accessToken = (string)(await access.JsonAsync())["access_token"]!;
        var task = await (await _app.As(BrokerApp.Orchestrator).GetAsync($"/v1/tasks/{taskId}")).JsonAsync();

        await _app.As(BrokerApp.Agent).RevokeAsync(token);

        Assert.Multiple(async () =>
        {
            Assert.That(delegated.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That((string?)delegatedBody["issued_token_type"], Is.EqualTo(Api.TaskType));
            Assert.That((string?)delegatedBody["token_type"], Is.EqualTo("N_A"));
            Assert.That((string?)JwtParts.Payload(delegatedToken)["act"]!["sub"], Is.EqualTo(_app.Trust.Id(Helper)));
            Assert.That((string?)JwtParts.Payload(accessToken)["act"]!["sub"], Is.EqualTo(_app.Trust.Id(Helper)));
            Assert.That(access.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(task["credentials"]!.AsArray().Select(c => (string?)c!["kind"]), Is.EqualTo(new[] { "task", "delegated", "access_token" }));
            Assert.That((int?)task["credentials"]![1]!["depth"], Is.EqualTo(1));
            Assert.That((string?)task["credentials"]![2]!["audience"], Is.EqualTo("postgres://payments"));
            Assert.That((string?)task["credentials"]![2]!["policy"]!["rules"], Is.EqualTo("allow-attenuated"));
            Assert.That((bool?)(await _app.As(BrokerApp.Soc).IntrospectJsonAsync(delegatedToken))["active"], Is.False);
            Assert.That((bool?)(await _app.As(BrokerApp.Soc).IntrospectJsonAsync(accessToken))["active"], Is.False);
        });
    }

    [TestCase("grant_type", TestName = "missing grant_type")]
    [TestCase("subject_token", TestName = "missing subject_token")]
    [TestCase("subject_token_type", TestName = "missing subject_token_type")]
    public async Task Missing_required_parameters_are_invalid_request(string left_out)
    {
        var (_, token) = await NewTaskAsync();
        (string, string)[] all = [("grant_type", Api.TokenExchange), ("subject_token", token), ("subject_token_type", Api.JwtType), ("resource", "postgres://payments")];

        var response = await _app.As(BrokerApp.Agent).TokenAsync([.. all.Where(p => p.Item1 != left_out)]);
        var twin = await _app.As(BrokerApp.Agent).TokenAsync(all);

        Assert.Multiple(async () =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(await ErrorOf(response), Is.EqualTo("invalid_request"));
            Assert.That(twin.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        });
    }

    [TestCase("subject_token_type", "urn:example:unknown", "invalid_request", TestName = "unknown subject token type")]
    [TestCase("subject_token_type", "urn:ietf:params:oauth:token-type:refresh_token", "invalid_request", TestName = "unsupported subject token type")]
    [TestCase("requested_token_type", "urn:ietf:params:oauth:token-type:id_token", "invalid_request", TestName = "unsupported requested token type")]
    [TestCase("requested_token_type", "urn:example:mine", "invalid_request", TestName = "unknown requested token type")]
    [TestCase("actor_token", "x", "invalid_request", TestName = "actor_token without actor_token_type")]
    [TestCase("actor_token_type", "urn:ietf:params:oauth:token-type:jwt", "invalid_request", TestName = "actor_token_type without actor_token")]
    [TestCase("audience", "postgres://other", "invalid_target", TestName = "resource and audience disagree")]
    [TestCase("scope", "sql.query:read  sql.query:list", "invalid_scope", TestName = "malformed scope")]
    public async Task Malformed_parameters_get_their_rfc_error(string name, string value, string error)
    {
        var (_, token) = await NewTaskAsync();
        var response = await _app.As(BrokerApp.Agent).TokenAsync(
            ("grant_type", Api.TokenExchange), ("subject_token", token), ("subject_token_type", name == "subject_token_type" ? value : Api.JwtType),
            ("resource", "postgres://payments"), (name == "subject_token_type" ? "x-unused" : name, value));

        Assert.That(await ErrorOf(response), Is.EqualTo(error));
    }

    [Test]
    public async Task Another_grant_type_is_unsupported_grant_type() =>
        Assert.That(await ErrorOf(await _app.As(BrokerApp.Agent).TokenAsync(("grant_type", "client_credentials"))), Is.EqualTo("unsupported_grant_type"));

    [Test]
    public async Task Repeated_parameters_query_parameters_and_json_bodies_are_invalid_request()
    {
        var (_, token) = await NewTaskAsync();
        var agent = _app.As(BrokerApp.Agent);

        var repeated = await agent.TokenAsync(("grant_type", Api.TokenExchange), ("subject_token", token), ("subject_token_type", Api.JwtType),
            ("resource", "postgres://payments"), ("resource", "https://crm.example"));
        var query = await agent.PostAsync("/oauth2/token?resource=postgres://payments", new FormUrlEncodedContent(
            [new("grant_type", Api.TokenExchange), new("subject_token", token), new("subject_token_type", Api.JwtType)]));
        var json = await agent.PostAsync("/oauth2/token", Api.Json($$"""{"grant_type":"{{Api.TokenExchange}}","subject_token":"{{token}}"}"""));

        Assert.Multiple(async () =>
        {
            Assert.That(await ErrorOf(repeated), Is.EqualTo("invalid_request"));
            Assert.That(await ErrorOf(query), Is.EqualTo("invalid_request"));
            Assert.That(await ErrorOf(json), Is.EqualTo("invalid_request"));
        });
    }

    [Test]
    public async Task Attenuation_and_binding_violations_get_their_error_codes()
    {
        var (_, token) = await NewTaskAsync(maxDelegationDepth: 1);
        var agent = _app.As(BrokerApp.Agent);
        var delegated = (string)(await (await agent.DelegateAsync(token, _app.Trust.Id(Helper))).JsonAsync())["access_token"]!;

        var widerScope = await agent.AccessTokenAsync(token, scope: "sql.query:write");
        var foreignAudience = await agent.AccessTokenAsync(token, resource: "postgres://hr");
        var depthExceeded = await _app.As(Helper).DelegateAsync(delegated, _app.Trust.Id("/agents/third"));
        var stolen = await _app.As(BrokerApp.OtherAgent).AccessTokenAsync(token);
        var notAnAgent = await _app.As(BrokerApp.Orchestrator).AccessTokenAsync(token);
        var unauthenticated = await _app.CreateClient().AccessTokenAsync(token);

        Assert.Multiple(async () =>
        {
            Assert.That(await ErrorOf(widerScope), Is.EqualTo("invalid_scope"));
            Assert.That(await ErrorOf(foreignAudience), Is.EqualTo("invalid_target"));
            Assert.That(await ErrorOf(depthExceeded), Is.EqualTo("invalid_grant"));
            Assert.That(await ErrorOf(stolen), Is.EqualTo("invalid_grant"));
            Assert.That(await ErrorOf(notAnAgent), Is.EqualTo("unauthorized_client"));
            Assert.That(unauthenticated.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
            Assert.That(await ErrorOf(unauthenticated), Is.EqualTo("invalid_client"));
        });
    }

    [Test]
    public async Task Type_confusion_is_invalid_grant()
    {
        var (_, token) = await NewTaskAsync();
        var agent = _app.As(BrokerApp.Agent);
        var accessToken = (string)(await (await agent.AccessTokenAsync(token)).JsonAsync())["access_token"]!;

        Assert.Multiple(async () =>
        {
            Assert.That(await ErrorOf(await agent.AccessTokenAsync(accessToken)), Is.EqualTo("invalid_grant"), "an at+jwt as subject_token");
            Assert.That(await ErrorOf(await agent.AccessTokenAsync(_app.Svid(BrokerApp.Agent))), Is.EqualTo("invalid_grant"), "an SVID as subject_token");
            Assert.That(await ErrorOf(await agent.DelegateWithSvidAsync(token, token)), Is.EqualTo("invalid_request"), "a task token (addressed to the broker) as actor_token");
            Assert.That(await ErrorOf(await agent.DelegateWithSvidAsync(token, accessToken)), Is.EqualTo("invalid_grant"), "an access token as actor_token");
            Assert.That(await ErrorOf(await agent.DelegateAsync(token, accessToken)), Is.EqualTo("invalid_grant"), "an access token as a SPIFFE ID");
        });
    }

    [Test]
    public async Task A_task_at_its_credential_cap_refuses_the_next_exchange_and_another_task_is_unaffected()
    {
        _app.Settings["CredentialBroker:MaxCredentialsPerTask"] = "3";
        using var agent = _app.As(BrokerApp.Agent);
        var (_, token) = await NewTaskAsync();
        var (_, other) = await NewTaskAsync();

        var first = await agent.AccessTokenAsync(token);
        var second = await agent.AccessTokenAsync(token);
        var refused = await agent.AccessTokenAsync(token);
        var elsewhere = await agent.AccessTokenAsync(other);

        Assert.Multiple(async () =>
        {
            Assert.That(first.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(second.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(refused.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(await ErrorOf(refused), Is.EqualTo("invalid_grant"));
            Assert.That((string)(await refused.JsonAsync())["error_description"]!, Does.Contain("already holds 3 credentials"));
            Assert.That(elsewhere.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        });
    }

    [Test]
    public async Task A_revoked_subject_token_is_invalid_grant()
    {
        var (_, token) = await NewTaskAsync();
        await _app.As(BrokerApp.Agent).RevokeAsync(token);
        Assert.That(await ErrorOf(await _app.As(BrokerApp.Agent).AccessTokenAsync(token)), Is.EqualTo("invalid_grant"));
    }

    [Test]
    public async Task An_exchange_fails_closed_while_redis_is_down()
    {
        await using var redis = await RedisServer.StartPrivateAsync();
        using var app = BrokerApp.Redis(redis.ConnectionString);
        var token = (string)(await (await app.As(BrokerApp.Orchestrator).CreateTaskAsync(Api.TaskBody(app.AgentId))).JsonAsync())["token"]!;
        await redis.StopAsync();

        var response = await app.As(BrokerApp.Agent).AccessTokenAsync(token);

        Assert.Multiple(async () =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
            Assert.That(await ErrorOf(response), Is.EqualTo("temporarily_unavailable"));
            Assert.That(response.Headers.RetryAfter, Is.Not.Null);
        });
    }
}
