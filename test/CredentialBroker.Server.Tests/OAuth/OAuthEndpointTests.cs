using System.Net;
using System.Net.Http.Headers;
using CredentialBroker.Abstractions.Identity;
using CredentialBroker.Core.Identity;
using CredentialBroker.Core.Tokens;

namespace CredentialBroker.Server.Tests.OAuth;

/// <summary>Introspection (RFC 7662), revocation (RFC 7009) and the token endpoint's request rules.</summary>
public sealed class OAuthEndpointTests : IDisposable
{
    private readonly BrokerApp _app = BrokerApp.Redis();

    public void Dispose() => _app.Dispose();

    private Task<(string TaskId, string Token, string Jti)> NewTaskAsync() => _app.As(BrokerApp.Orchestrator).CreateTaskOkAsync(_app.AgentId);

    [Test]
    public async Task Introspection_of_an_active_token_returns_its_claims()
    {
        var (taskId, token, jti) = await NewTaskAsync();
        var response = await _app.As(BrokerApp.Soc).IntrospectAsync(token);
        var body = await response.JsonAsync();

        Assert.Multiple(() =>
        {
            Assert.That(response.Headers.CacheControl!.NoStore, Is.True);
            Assert.That((bool?)body["active"], Is.True);
            Assert.That((string?)body["jti"], Is.EqualTo(jti));
            Assert.That((string?)body["task_id"], Is.EqualTo(taskId));
            Assert.That((string?)body["sub"], Is.EqualTo(_app.AgentId));
            Assert.That((string?)body["iss"], Is.EqualTo(BrokerApp.TestIssuer));
            Assert.That((string?)body["workflow_id"], Is.EqualTo("wf-invoices"));
            Assert.That((string?)body["token_type"], Is.EqualTo("task+jwt"));
            Assert.That(body["exp"], Is.Not.Null);
            Assert.That(body["cnf"]!["spiffe_id"]!.ToString(), Is.EqualTo(_app.AgentId));
            Assert.That(body["authorization_details"]!.AsArray(), Has.Count.EqualTo(1));
        });
    }

    [Test]
    public async Task A_resource_server_learns_about_access_tokens_for_its_own_resources_only()
    {
        var (_, token, _) = await NewTaskAsync();
        var body = Api.TaskBody(_app.AgentId).Replace("postgres://payments", "https://ledger.example", StringComparison.Ordinal);
        var otherTask = await (await _app.As(BrokerApp.Orchestrator).CreateTaskAsync(body)).JsonAsync();
        using var agent = _app.As(BrokerApp.Agent);
        var own = (string)(await (await agent.AccessTokenAsync(token)).JsonAsync())["access_token"]!;
        var foreign = (string)(await (await agent.AccessTokenAsync((string)otherTask["token"]!, "https://ledger.example")).JsonAsync())["access_token"]!;
        using var resourceServer = _app.As(BrokerApp.ResourceServer);
        using var soc = _app.As(BrokerApp.Soc);

        Assert.Multiple(async () =>
        {
            Assert.That((bool?)(await resourceServer.IntrospectJsonAsync(own))["active"], Is.True, "an access token for its resource");
            Assert.That(await (await resourceServer.IntrospectAsync(foreign)).Content.ReadAsStringAsync(), Is.EqualTo("""{"active":false}"""), "another resource's token");
            Assert.That(await (await resourceServer.IntrospectAsync(token)).Content.ReadAsStringAsync(), Is.EqualTo("""{"active":false}"""), "a task token");
            Assert.That((bool?)(await soc.IntrospectJsonAsync(foreign))["active"], Is.True, "the SOC sees every token");
            Assert.That((bool?)(await soc.IntrospectJsonAsync(token))["active"], Is.True);
        });
    }

    [Test]
    public async Task Unauthenticated_introspection_is_401_invalid_client_and_authenticated_is_200()
    {
        var (_, token, _) = await NewTaskAsync();
        var anonymous = await _app.CreateClient().IntrospectAsync(token);
        var body = await anonymous.JsonAsync();
        var authenticated = await _app.As(BrokerApp.ResourceServer).IntrospectAsync(token);

        Assert.Multiple(() =>
        {
            Assert.That(anonymous.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
            Assert.That((string?)body["error"], Is.EqualTo("invalid_client"));
            Assert.That(anonymous.Headers.WwwAuthenticate, Is.Not.Empty);
            Assert.That(authenticated.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        });
    }

    [Test]
    public async Task A_foreign_token_is_exactly_active_false()
    {
        var foreignMinter = new JwtSvidMinter("test.example", SigningKey.Generate());
        var foreign = foreignMinter.Mint("/agents/invoice-bot", BrokerApp.TestIssuer, _app.Time.GetUtcNow(), TimeSpan.FromMinutes(5));

        var response = await _app.As(BrokerApp.ResourceServer).IntrospectAsync(foreign);

        Assert.Multiple(async () =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(await response.Content.ReadAsStringAsync(), Is.EqualTo("""{"active":false}"""));
        });
    }

    [Test]
    public async Task A_caller_svid_introspected_as_a_token_is_inactive() =>
        Assert.That((bool?)(await _app.As(BrokerApp.ResourceServer).IntrospectJsonAsync(_app.Svid(BrokerApp.Agent)))["active"], Is.False);

    [Test]
    public async Task Another_agent_learns_only_that_the_token_is_inactive_while_the_holder_sees_it_active()
    {
        var (_, token, _) = await NewTaskAsync();

        Assert.Multiple(async () =>
        {
            Assert.That((bool?)(await _app.As(BrokerApp.OtherAgent).IntrospectJsonAsync(token))["active"], Is.False);
            Assert.That((bool?)(await _app.As(BrokerApp.Agent).IntrospectJsonAsync(token))["active"], Is.True);
        });
    }

    [Test]
    public async Task Client_assertion_authenticates_oauth_requests()
    {
        var (_, token, _) = await NewTaskAsync();
        var form = new FormUrlEncodedContent([
            new("token", token),
            new("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
            new("client_assertion", _app.Svid(BrokerApp.Soc))]);

        var response = await _app.CreateClient().PostAsync("/oauth2/introspect", form);
        Assert.That((bool?)(await response.JsonAsync())["active"], Is.True);
    }

    [Test]
    public async Task A_client_id_that_contradicts_the_assertion_is_rejected()
    {
        var (_, token, _) = await NewTaskAsync();
        var form = new FormUrlEncodedContent([
            new("token", token),
            new("client_id", "spiffe://test.example/soc"),
            new("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
            new("client_assertion", _app.Svid(BrokerApp.ResourceServer))]);

        var response = await _app.CreateClient().PostAsync("/oauth2/introspect", form);
        Assert.That((string?)(await response.JsonAsync())["error"], Is.EqualTo("invalid_client"));
    }

    [Test]
    public async Task Two_authentication_methods_at_once_are_invalid_request()
    {
        var client = _app.As(BrokerApp.ResourceServer);
        var form = new FormUrlEncodedContent([
            new("token", "x"),
            new("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
            new("client_assertion", _app.Svid(BrokerApp.ResourceServer))]);

        var response = await client.PostAsync("/oauth2/introspect", form);
        Assert.Multiple(async () =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That((string?)(await response.JsonAsync())["error"], Is.EqualTo("invalid_request"));
        });
    }

    [Test]
    public async Task An_unknown_assertion_type_is_invalid_request()
    {
        var form = new FormUrlEncodedContent([
            new("token", "x"),
            new("client_assertion_type", "urn:example:saml"),
            new("client_assertion", _app.Svid(BrokerApp.ResourceServer))]);
        var response = await _app.CreateClient().PostAsync("/oauth2/introspect", form);

        Assert.That((string?)(await response.JsonAsync())["error"], Is.EqualTo("invalid_request"));
    }

    [Test]
    public async Task Repeated_parameters_query_parameters_and_json_bodies_are_invalid_request_never_pick_one()
    {
        var (_, token, _) = await NewTaskAsync();
        var client = _app.As(BrokerApp.Soc);

        var repeated = await client.PostAsync("/oauth2/introspect", new FormUrlEncodedContent([new("token", token), new("token", "other")]));
        var query = await client.PostAsync("/oauth2/introspect?token=" + token, new FormUrlEncodedContent([new("token", token)]));
        var json = await client.PostAsync("/oauth2/introspect", Api.Json($$"""{"token":"{{token}}"}"""));
        var missing = await client.PostAsync("/oauth2/introspect", new FormUrlEncodedContent([new("nottoken", token)]));
        var twin = await client.PostAsync("/oauth2/introspect", new FormUrlEncodedContent([new("token", token)]));

        Assert.Multiple(async () =>
        {
            foreach (var response in new[] { repeated, query, json, missing })
            {
                Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
                Assert.That((string?)(await response.JsonAsync())["error"], Is.EqualTo("invalid_request"));
                Assert.That(response.Content.Headers.ContentType!.MediaType, Is.EqualTo("application/json"));
            }

            Assert.That((bool?)(await twin.JsonAsync())["active"], Is.True);
        });
    }

    [Test]
    public async Task Revoking_garbage_unknown_or_already_revoked_tokens_is_200()
    {
        var (_, token, _) = await NewTaskAsync();
        var holder = _app.As(BrokerApp.Agent);

        Assert.Multiple(async () =>
        {
            Assert.That((await holder.RevokeAsync("garbage")).StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That((await holder.RevokeAsync(token)).StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That((await holder.RevokeAsync(token)).StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That((bool?)(await _app.As(BrokerApp.Soc).IntrospectJsonAsync(token))["active"], Is.False);
        });
    }

    [Test]
    public async Task Revoking_someone_elses_token_is_refused_and_leaks_nothing()
    {
        var (_, token, jti) = await NewTaskAsync();
        var response = await _app.As(BrokerApp.OtherAgent).RevokeAsync(token);
        var text = await response.Content.ReadAsStringAsync();

        Assert.Multiple(async () =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That((string?)(await response.JsonAsync())["error"], Is.EqualTo("unauthorized_client"));
            Assert.That(text, Does.Not.Contain(jti).And.Not.Contain(_app.AgentId));
            Assert.That((bool?)(await _app.As(BrokerApp.Soc).IntrospectJsonAsync(token))["active"], Is.True);
        });
    }

    [Test]
    public async Task The_soc_can_revoke_any_token()
    {
        var (_, token, _) = await NewTaskAsync();
        var response = await _app.As(BrokerApp.Soc).RevokeAsync(token);

        Assert.Multiple(async () =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(await response.Content.ReadAsStringAsync(), Is.Empty);
            Assert.That((bool?)(await _app.As(BrokerApp.Soc).IntrospectJsonAsync(token))["active"], Is.False);
        });
    }

    [Test]
    public async Task The_token_endpoint_rejects_unknown_grants_per_rfc_6749()
    {
        var client = _app.As(BrokerApp.Agent);
        var unknown = await client.PostAsync("/oauth2/token", new FormUrlEncodedContent([new("grant_type", "password")]));
        var missing = await client.PostAsync("/oauth2/token", new FormUrlEncodedContent([new("scope", "x")]));

        Assert.Multiple(async () =>
        {
            Assert.That((string?)(await unknown.JsonAsync())["error"], Is.EqualTo("unsupported_grant_type"));
            Assert.That((string?)(await missing.JsonAsync())["error"], Is.EqualTo("invalid_request"));
        });
    }

    [Test]
    public async Task Bearer_scheme_is_case_insensitive_but_other_schemes_are_not_accepted()
    {
        var (_, token, _) = await NewTaskAsync();
        var lower = _app.CreateClient();
        lower.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", "bearer " + _app.Svid(BrokerApp.ResourceServer));
        var basic = _app.CreateClient();
        basic.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", "dXNlcjpwYXNz");

        Assert.Multiple(async () =>
        {
            Assert.That((await lower.IntrospectAsync(token)).StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That((await basic.IntrospectAsync(token)).StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        });
    }
}
