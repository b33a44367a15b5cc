using System.Net;
using System.Text.Json.Nodes;
using CredentialBroker.Abstractions;
using CredentialBroker.Server.Tests.Soc;
using CredentialBroker.Testing;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace CredentialBroker.Server.Tests.Revocation;

/// <summary>
/// Token Status Lists (draft-ietf-oauth-status-list-20) end to end: the claim every token carries, the signed list the
/// broker serves at its URI, and the bits revocations set.
/// </summary>
public sealed class StatusListTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private readonly BrokerApp _app = BrokerApp.Redis();

    public void Dispose() => _app.Dispose();

    private static (int Index, string Uri) StatusOf(string token)
    {
        var list = JwtParts.Payload(token)["status"]!["status_list"]!;
        return ((int)list["idx"]!, (string)list["uri"]!);
    }

    private async Task<(HttpResponseMessage Response, TokenValidationResult Validation, JsonObject Payload)> FetchAsync(string uri)
    {
        var response = await _app.CreateClient().GetAsync(new Uri(uri).PathAndQuery);
        var jwt = await response.Content.ReadAsStringAsync();
        var jwks = new JsonWebKeySet(await _app.CreateClient().GetStringAsync("/.well-known/jwks.json"));
        var validation = await new JsonWebTokenHandler().ValidateTokenAsync(jwt, new TokenValidationParameters
        {
            ValidIssuer = BrokerApp.TestIssuer, ValidateAudience = false, ValidTypes = [StatusLists.TokenType], IssuerSigningKeys = jwks.GetSigningKeys(),
            LifetimeValidator = (notBefore, expires, _, _) => expires > _app.Time.GetUtcNow().UtcDateTime,
        });
        return (response, validation, response.IsSuccessStatusCode ? JwtParts.Payload(jwt) : []);
    }

    private async Task<int?> BitAsync(string uri, int index)
    {
        var (_, _, payload) = await FetchAsync(uri);
        return StatusLists.StatusOf(StatusLists.Decode((string)payload["status_list"]!["lst"]!), index);
    }

    [Test]
    public async Task Task_tokens_and_access_tokens_carry_a_status_list_the_broker_serves_signed()
    {
        var (_, token, _) = await _app.As(BrokerApp.Orchestrator).CreateTaskOkAsync(_app.AgentId);
        var access = (string)(await (await _app.As(BrokerApp.Agent).AccessTokenAsync(token)).JsonAsync())["access_token"]!;
        var (taskIndex, taskUri) = StatusOf(token);
        var (accessIndex, accessUri) = StatusOf(access);

        var (response, validation, payload) = await FetchAsync(taskUri);

        Assert.Multiple(() =>
        {
            Assert.That(taskUri, Does.StartWith(BrokerApp.TestIssuer + "/v1/status-lists/"));
            Assert.That(accessIndex, Is.Not.EqualTo(taskIndex));
            Assert.That(accessUri, Does.StartWith(BrokerApp.TestIssuer + "/v1/status-lists/"));
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/statuslist+jwt"));
            Assert.That(response.Headers.CacheControl?.Public, Is.True);
            Assert.That(response.Headers.CacheControl?.MaxAge, Is.LessThanOrEqualTo(TimeSpan.FromSeconds(10)));
            Assert.That(validation.IsValid, Is.True, validation.Exception?.Message);
            Assert.That((string?)payload["sub"], Is.EqualTo(taskUri), "sub is the list's URI (draft §5.1)");
            Assert.That((long)payload["ttl"]!, Is.EqualTo(10));
            Assert.That((long)payload["exp"]! - (long)payload["iat"]!, Is.EqualTo(300));
            Assert.That((int)payload["status_list"]!["bits"]!, Is.EqualTo(1));
            Assert.That(StatusLists.StatusOf(StatusLists.Decode((string)payload["status_list"]!["lst"]!), taskIndex), Is.EqualTo(0), "a live token is VALID");
        });
    }

    [Test]
    public async Task A_revoked_token_shows_invalid_once_the_served_list_is_past_its_ttl_and_its_sibling_stays_valid()
    {
        var (_, token, _) = await _app.As(BrokerApp.Orchestrator).CreateTaskOkAsync(_app.AgentId);
        using var agent = _app.As(BrokerApp.Agent);
        var revoked = (string)(await (await agent.AccessTokenAsync(token)).JsonAsync())["access_token"]!;
        var sibling = (string)(await (await agent.AccessTokenAsync(token)).JsonAsync())["access_token"]!;
        var (index, uri) = StatusOf(revoked);
        var (siblingIndex, _) = StatusOf(sibling);
        var cachedBefore = await BitAsync(uri, index);

        await agent.RevokeAsync(revoked);
        var withinTtl = await BitAsync(uri, index);
        _app.Time.Advance(TimeSpan.FromSeconds(30));

        Assert.Multiple(async () =>
        {
            Assert.That(cachedBefore, Is.EqualTo(0));
            Assert.That(withinTtl, Is.EqualTo(0), "the broker serves one signed list for its ttl: the bound a resource server works with");
            Assert.That(await BitAsync(uri, index), Is.EqualTo(1));
            Assert.That(await BitAsync(uri, siblingIndex), Is.EqualTo(0));
            Assert.That(await BitAsync(uri, StatusOf(token).Index), Is.EqualTo(0), "revoking a token leaves its parent valid");
        });
    }

    [Test]
    public async Task A_bulk_revocation_sets_the_bits_of_the_whole_subtree_and_of_no_other_task()
    {
        using var orchestrator = _app.As(BrokerApp.Orchestrator);
        var (taskId, token, _) = await orchestrator.CreateTaskOkAsync(_app.AgentId);
        var (_, otherToken, _) = await orchestrator.CreateTaskOkAsync(_app.AgentId);
        var access = (string)(await (await _app.As(BrokerApp.Agent).AccessTokenAsync(token)).JsonAsync())["access_token"]!;
        using var soc = _app.As(BrokerApp.Soc);
        using var watch = new RevocationWatch(_app);

        var started = await (await soc.BulkRevokeAsync($$"""{"selector": {"taskId": "{{taskId}}"}, "reason": "incident"}""")).JsonAsync();
        await soc.WaitUntilDoneAsync(watch, (string)started["id"]!, Patience);
        _app.Time.Advance(TimeSpan.FromSeconds(30));

        Assert.Multiple(async () =>
        {
            Assert.That(await BitAsync(StatusOf(token).Uri, StatusOf(token).Index), Is.EqualTo(1));
            Assert.That(await BitAsync(StatusOf(access).Uri, StatusOf(access).Index), Is.EqualTo(1), "the cascade reaches the list too");
            Assert.That(await BitAsync(StatusOf(otherToken).Uri, StatusOf(otherToken).Index), Is.EqualTo(0));
        });
    }

    [Test]
    public async Task Discovery_names_the_aggregation_which_lists_the_served_lists_and_an_unknown_list_is_not_found()
    {
        var (_, token, _) = await _app.As(BrokerApp.Orchestrator).CreateTaskOkAsync(_app.AgentId);
        var client = _app.CreateClient();
        var metadata = await (await client.GetAsync("/.well-known/oauth-authorization-server")).JsonAsync();
        var aggregation = await (await client.GetAsync("/v1/status-lists")).JsonAsync();
        var unknown = await client.GetAsync("/v1/status-lists/0-99");
        var known = await client.GetAsync(new Uri(StatusOf(token).Uri).PathAndQuery);

        Assert.Multiple(() =>
        {
            Assert.That((string?)metadata["status_list_aggregation_endpoint"], Is.EqualTo(BrokerApp.TestIssuer + "/v1/status-lists"));
            Assert.That(aggregation["status_lists"]!.AsArray().Select(n => (string?)n), Does.Contain(StatusOf(token).Uri));
            Assert.That(unknown.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
            Assert.That(known.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        });
    }
}
