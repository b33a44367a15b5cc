using System.Net;

namespace CredentialBroker.Server.Tests.Discovery;

public sealed class DiscoveryTests : IDisposable
{
    private readonly BrokerApp _app = BrokerApp.Redis();

    public void Dispose() => _app.Dispose();

    [TestCase("/.well-known/oauth-authorization-server")]
    [TestCase("/.well-known/openid-configuration")]
    public async Task Metadata_follows_rfc_8414(string path)
    {
        var response = await _app.CreateClient().GetAsync(path);
        var metadata = await response.JsonAsync();

        Assert.Multiple(() =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That((string?)metadata["issuer"], Is.EqualTo(BrokerApp.TestIssuer));
            Assert.That((string?)metadata["jwks_uri"], Is.EqualTo(BrokerApp.TestIssuer + "/.well-known/jwks.json"));
            Assert.That((string?)metadata["token_endpoint"], Is.EqualTo(BrokerApp.TestIssuer + "/oauth2/token"));
            Assert.That((string?)metadata["introspection_endpoint"], Is.EqualTo(BrokerApp.TestIssuer + "/oauth2/introspect"));
            Assert.That((string?)metadata["revocation_endpoint"], Is.EqualTo(BrokerApp.TestIssuer + "/oauth2/revoke"));
            Assert.That((string?)metadata["revocation_feed_endpoint"], Is.EqualTo(BrokerApp.TestIssuer + "/v1/revocations/feed"));
            Assert.That(metadata["token_endpoint_auth_methods_supported"]!.AsArray().Select(n => (string?)n), Does.Contain("private_key_jwt"));
            Assert.That(metadata["response_types_supported"], Is.Not.Null);
        });
    }

    [Test]
    public async Task Metadata_advertises_transaction_tokens_and_their_trust_domain()
    {
        var defaults = await (await _app.CreateClient().GetAsync("/.well-known/oauth-authorization-server")).JsonAsync();
        using var configured = BrokerApp.Redis();
        configured.Settings["CredentialBroker:TransactionTokens:TrustDomain"] = "test.example";
        var metadata = await (await configured.CreateClient().GetAsync("/.well-known/oauth-authorization-server")).JsonAsync();

        Assert.Multiple(() =>
        {
            Assert.That(metadata["requested_token_types_supported"]!.AsArray().Select(n => (string?)n), Does.Contain("urn:ietf:params:oauth:token-type:txn_token"));
            Assert.That((string?)metadata["transaction_token_audience"], Is.EqualTo("test.example"));
            Assert.That((string?)defaults["transaction_token_audience"], Is.EqualTo(BrokerApp.TestIssuer), "unset, the trust domain is the issuer");
        });
    }

    [Test]
    public async Task The_jwks_publishes_public_keys_only_with_kid_alg_and_use()
    {
        var jwks = await (await _app.CreateClient().GetAsync("/.well-known/jwks.json")).JsonAsync();
        var key = jwks["keys"]![0]!.AsObject();
        var (_, token, _) = await _app.As(BrokerApp.Orchestrator).CreateTaskOkAsync(_app.AgentId);

        Assert.Multiple(() =>
        {
            Assert.That(jwks["keys"]!.AsArray(), Has.Count.EqualTo(1));
            Assert.That((string?)key["kty"], Is.EqualTo("EC"));
            Assert.That((string?)key["crv"], Is.EqualTo("P-256"));
            Assert.That((string?)key["alg"], Is.EqualTo("ES256"));
            Assert.That((string?)key["use"], Is.EqualTo("sig"));
            Assert.That(key.ContainsKey("d"), Is.False, "no private key material");
            Assert.That((string?)key["kid"], Is.EqualTo((string?)CredentialBroker.Testing.JwtParts.Header(token)["kid"]));
        });
    }

    [Test]
    public async Task Health_and_readiness_answer_when_redis_is_up()
    {
        var client = _app.CreateClient();
        Assert.Multiple(async () =>
        {
            Assert.That((await client.GetAsync("/healthz")).StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That((await client.GetAsync("/readyz")).StatusCode, Is.EqualTo(HttpStatusCode.OK));
        });
    }
}
