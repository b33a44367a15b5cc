using System.Net;
using CredentialBroker.Testing;

namespace CredentialBroker.Server.Tests.ProofOfPossession;

/// <summary>
/// DPoP (RFC 9449) at the token endpoint of a real broker on a real Redis: the valid proof, each of its mutations beside
/// its valid twin, replay across two replicas, server nonces, key-bound task tokens, and holder revocation.
/// </summary>
public sealed class DpopTests : IDisposable
{
    private const string TokenEndpoint = BrokerApp.TestIssuer + "/oauth2/token";
    private const string RevocationEndpoint = BrokerApp.TestIssuer + "/oauth2/revoke";
    private readonly BrokerApp _app = BrokerApp.Redis();
    private readonly DpopKey _key = new();
    private readonly DpopKey _other = new();

    public void Dispose()
    {
        _key.Dispose();
        _other.Dispose();
        _app.Dispose();
    }

    private DateTimeOffset Now => _app.Time.GetUtcNow();

    private async Task<string> TaskTokenAsync(string? binding = null)
    {
        var body = Api.TaskBody(_app.AgentId);
        if (binding is not null)
        {
            body = body.Replace("\"maxDelegationDepth\": 2", $"\"maxDelegationDepth\": 2, \"binding\": {binding}", StringComparison.Ordinal);
        }

        var response = await _app.As(BrokerApp.Orchestrator).CreateTaskAsync(body);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Created), await response.Content.ReadAsStringAsync());
        return (string)(await response.JsonAsync())["token"]!;
    }

    private static async Task<(HttpStatusCode Status, string? Error, string? Code)> OutcomeAsync(HttpResponseMessage response)
    {
        if (response.IsSuccessStatusCode)
        {
            return (response.StatusCode, null, null);
        }

        var body = await response.JsonAsync();
        return (response.StatusCode, (string?)body["error"], (string?)body["code"]);
    }

    [Test]
    public async Task A_valid_proof_gets_a_dpop_token_bound_to_its_key()
    {
        var token = await TaskTokenAsync();

        var response = await _app.As(BrokerApp.Agent).AccessTokenWithProofAsync(token, _key.Proof("POST", TokenEndpoint, Now));
        var body = await response.JsonAsync();
        var accessToken = (string)body["access_token"]!;
        var introspected = await _app.As(BrokerApp.ResourceServer).IntrospectJsonAsync(accessToken);

        Assert.Multiple(() =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That((string?)body["token_type"], Is.EqualTo("DPoP"));
            Assert.That((string?)JwtParts.Payload(accessToken)["cnf"]!["jkt"], Is.EqualTo(_key.Thumbprint));
            Assert.That((string?)JwtParts.Payload(accessToken)["cnf"]!["spiffe_id"], Is.EqualTo(_app.AgentId));
            Assert.That((string?)introspected["cnf"]!["jkt"], Is.EqualTo(_key.Thumbprint));
        });
    }

    public enum Mutation
    {
        WrongHtm,
        WrongHtu,
        StaleIat,
        FutureIat,
        AlgNone,
        Hs256,
        PrivateKeyInHeader,
        SignedByAnotherKey,
        WrongTyp,
        TwoProofs,
    }

    private string Mutated(Mutation mutation)
    {
        var claims = $$"""{"jti":"{{Guid.NewGuid():N}}","htm":"POST","htu":"{{TokenEndpoint}}","iat":{{Now.ToUnixTimeSeconds()}}}""";
        return mutation switch
        {
            Mutation.WrongHtm => _key.Proof("GET", TokenEndpoint, Now),
            Mutation.WrongHtu => _key.Proof("POST", BrokerApp.TestIssuer + "/oauth2/introspect", Now),
            Mutation.StaleIat => _key.Proof("POST", TokenEndpoint, Now.AddMinutes(-2)),
            Mutation.FutureIat => _key.Proof("POST", TokenEndpoint, Now.AddMinutes(2)),
            Mutation.AlgNone => JwtForge.WithSignature(_key.Header(alg: "none"), claims, "AAAA"),
            Mutation.Hs256 => DpopKey.Hs256(_key.Header(alg: "HS256"), claims),
            Mutation.PrivateKeyInHeader => _key.Proof("POST", TokenEndpoint, Now, header: _key.Header(jwk: _key.PrivateJwk)),
            Mutation.SignedByAnotherKey => _key.Proof("POST", TokenEndpoint, Now, signer: _other),
            Mutation.WrongTyp => _key.Proof("POST", TokenEndpoint, Now, header: _key.Header(typ: "JWT")),
            _ => _key.Proof("POST", TokenEndpoint, Now) + ", " + _key.Proof("POST", TokenEndpoint, Now),
        };
    }

    [TestCase(Mutation.WrongHtm, "htm")]
    [TestCase(Mutation.WrongHtu, "htu")]
    [TestCase(Mutation.StaleIat, "too old")]
    [TestCase(Mutation.FutureIat, "future")]
    [TestCase(Mutation.AlgNone, "algorithm")]
    [TestCase(Mutation.Hs256, "algorithm")]
    [TestCase(Mutation.PrivateKeyInHeader, "private")]
    [TestCase(Mutation.SignedByAnotherKey, "signature")]
    [TestCase(Mutation.WrongTyp, "typ")]
    [TestCase(Mutation.TwoProofs, "")]
    public async Task A_broken_proof_is_invalid_dpop_proof_and_its_valid_twin_passes(Mutation mutation, string described)
    {
        var token = await TaskTokenAsync();
        var agent = _app.As(BrokerApp.Agent);
        var proof = Mutated(mutation);

        var refused = await agent.AccessTokenWithProofAsync(token, proof);
        var refusal = await refused.JsonAsync();
        var twin = await agent.AccessTokenWithProofAsync(token, _key.Proof("POST", TokenEndpoint, Now));

        Assert.Multiple(async () =>
        {
            Assert.That(refused.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That((string?)refusal["error"], Is.EqualTo("invalid_dpop_proof"));
            Assert.That((string?)refusal["code"], Is.EqualTo("dpop-proof-invalid"));
            Assert.That((string?)refusal["error_description"], Does.Contain(described));
            Assert.That(refusal.ToJsonString(), Does.Not.Contain(proof.Split('.')[0]), "no proof material in the error");
            Assert.That(twin.StatusCode, Is.EqualTo(HttpStatusCode.OK), await twin.Content.ReadAsStringAsync());
        });
    }

    [Test]
    public async Task A_proof_replayed_at_another_replica_is_refused_and_a_fresh_one_passes_there()
    {
        using var replica = _app.Replica();
        var token = await TaskTokenAsync();
        var proof = _key.Proof("POST", TokenEndpoint, Now);

        var first = await _app.As(BrokerApp.Agent).AccessTokenWithProofAsync(token, proof);
        var replayed = await replica.As(BrokerApp.Agent).AccessTokenWithProofAsync(token, proof);
        var fresh = await replica.As(BrokerApp.Agent).AccessTokenWithProofAsync(token, _key.Proof("POST", TokenEndpoint, Now));

        Assert.Multiple(async () =>
        {
            Assert.That(first.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(await OutcomeAsync(replayed), Is.EqualTo((HttpStatusCode.BadRequest, "invalid_dpop_proof", "dpop-proof-replayed")));
            Assert.That(fresh.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        });
    }

    [Test]
    public async Task With_nonces_required_a_proof_needs_the_nonce_any_replica_handed_out()
    {
        _app.Settings["CredentialBroker:Dpop:RequireNonce"] = "true";
        using var replica = _app.Replica();
        var token = await TaskTokenAsync();
        var agent = _app.As(BrokerApp.Agent);

        var withoutNonce = await agent.AccessTokenWithProofAsync(token, _key.Proof("POST", TokenEndpoint, Now));
        var nonce = withoutNonce.Headers.GetValues("DPoP-Nonce").Single();
        var wrongNonce = await agent.AccessTokenWithProofAsync(token, _key.Proof("POST", TokenEndpoint, Now, nonce: "not-the-nonce"));
        var atReplica = await replica.As(BrokerApp.Agent).AccessTokenWithProofAsync(token, _key.Proof("POST", TokenEndpoint, Now, nonce: nonce));

        Assert.Multiple(async () =>
        {
            Assert.That(await OutcomeAsync(withoutNonce), Is.EqualTo((HttpStatusCode.BadRequest, "use_dpop_nonce", "dpop-nonce-required")));
            Assert.That(await OutcomeAsync(wrongNonce), Is.EqualTo((HttpStatusCode.BadRequest, "use_dpop_nonce", "dpop-nonce-required")));
            Assert.That(wrongNonce.Headers.Contains("DPoP-Nonce"), Is.True, "every use_dpop_nonce carries a fresh nonce");
            Assert.That(atReplica.StatusCode, Is.EqualTo(HttpStatusCode.OK), await atReplica.Content.ReadAsStringAsync());
            Assert.That(atReplica.Headers.Contains("DPoP-Nonce"), Is.True, "a success offers the nonce for the next proof");
        });
    }

    [Test]
    public async Task A_key_bound_task_token_needs_a_proof_of_its_key_covering_it_at_every_exchange()
    {
        var token = await TaskTokenAsync($$"""{"jkt": "{{_key.Thumbprint}}"}""");
        var agent = _app.As(BrokerApp.Agent);

        var noProof = await agent.AccessTokenWithProofAsync(token, null);
        var otherKey = await agent.AccessTokenWithProofAsync(token, _other.Proof("POST", TokenEndpoint, Now, accessToken: token));
        var missingAth = await agent.AccessTokenWithProofAsync(token, _key.Proof("POST", TokenEndpoint, Now));
        var wrongAth = await agent.AccessTokenWithProofAsync(token, _key.Proof("POST", TokenEndpoint, Now, ath: DpopKey.Ath("another token")));
        var valid = await agent.AccessTokenWithProofAsync(token, _key.Proof("POST", TokenEndpoint, Now, accessToken: token));
        var accessToken = (string)(await valid.JsonAsync())["access_token"]!;

        Assert.Multiple(async () =>
        {
            Assert.That((string?)JwtParts.Payload(token)["cnf"]!["jkt"], Is.EqualTo(_key.Thumbprint));
            Assert.That(await OutcomeAsync(noProof), Is.EqualTo((HttpStatusCode.BadRequest, "invalid_grant", "key-not-proven")));
            Assert.That(await OutcomeAsync(otherKey), Is.EqualTo((HttpStatusCode.BadRequest, "invalid_grant", "key-not-proven")));
            Assert.That(await OutcomeAsync(missingAth), Is.EqualTo((HttpStatusCode.BadRequest, "invalid_dpop_proof", "dpop-proof-invalid")));
            Assert.That(await OutcomeAsync(wrongAth), Is.EqualTo((HttpStatusCode.BadRequest, "invalid_dpop_proof", "dpop-proof-invalid")));
            Assert.That(valid.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That((string?)JwtParts.Payload(accessToken)["cnf"]!["jkt"], Is.EqualTo(_key.Thumbprint));
        });
    }

    [Test]
    public async Task Its_holder_revokes_a_key_bound_token_only_with_proof_and_its_orchestrator_without()
    {
        var binding = $$"""{"jkt": "{{_key.Thumbprint}}"}""";
        var token = await TaskTokenAsync(binding);
        var other = await TaskTokenAsync(binding);
        var agent = _app.As(BrokerApp.Agent);
        var soc = _app.As(BrokerApp.Soc);

        var noProof = await agent.RevokeAsync(token);
        var stillActive = (bool)(await soc.IntrospectJsonAsync(token))["active"]!;
        var proven = await agent.RevokeWithProofAsync(token, _key.Proof("POST", RevocationEndpoint, Now, accessToken: token));
        var byOrchestrator = await _app.As(BrokerApp.Orchestrator).RevokeAsync(other);

        Assert.Multiple(async () =>
        {
            Assert.That(await OutcomeAsync(noProof), Is.EqualTo((HttpStatusCode.BadRequest, "invalid_grant", "key-not-proven")));
            Assert.That(stillActive, Is.True);
            Assert.That(proven.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That((bool)(await soc.IntrospectJsonAsync(token))["active"]!, Is.False);
            Assert.That(byOrchestrator.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That((bool)(await soc.IntrospectJsonAsync(other))["active"]!, Is.False);
        });
    }

    [Test]
    public async Task A_binding_in_post_v1_tasks_must_be_one_thumbprint()
    {
        var orchestrator = _app.As(BrokerApp.Orchestrator);
        string Body(string binding) => Api.TaskBody(_app.AgentId).Replace("\"maxDelegationDepth\": 2", $"\"maxDelegationDepth\": 2, \"binding\": {binding}", StringComparison.Ordinal);

        var both = await orchestrator.CreateTaskAsync(Body($$"""{"jkt": "{{_key.Thumbprint}}", "x5t#S256": "{{_key.Thumbprint}}"}"""));
        var notAThumbprint = await orchestrator.CreateTaskAsync(Body("""{"jkt": "abc"}"""));
        var unknownMember = await orchestrator.CreateTaskAsync(Body($$"""{"kid": "{{_key.Thumbprint}}"}"""));
        var certificate = await orchestrator.CreateTaskAsync(Body($$"""{"x5t#S256": "{{_key.Thumbprint}}"}"""));
        var view = await (await orchestrator.GetAsync($"/v1/tasks/{(string)(await certificate.JsonAsync())["taskId"]!}")).JsonAsync();

        Assert.Multiple(async () =>
        {
            Assert.That(both.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That((await both.JsonAsync())["errors"]!.AsObject().ContainsKey("binding"), Is.True);
            Assert.That(notAThumbprint.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That((await notAThumbprint.JsonAsync())["errors"]!.AsObject().ContainsKey("binding.jkt"), Is.True);
            Assert.That(unknownMember.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(certificate.StatusCode, Is.EqualTo(HttpStatusCode.Created));
            Assert.That((string?)view["credentials"]![0]!["binding"]!["x5t#S256"], Is.EqualTo(_key.Thumbprint));
        });
    }

    [Test]
    public async Task Discovery_advertises_the_configured_dpop_algorithms_and_no_certificate_binding_without_x509_bundles()
    {
        var defaults = await (await _app.CreateClient().GetAsync("/.well-known/oauth-authorization-server")).JsonAsync();
        using var configured = BrokerApp.Redis();
        configured.Settings["CredentialBroker:Dpop:Algorithms:0"] = "ES384";
        configured.Settings["CredentialBroker:Dpop:Algorithms:1"] = "PS256";
        var custom = await (await configured.CreateClient().GetAsync("/.well-known/oauth-authorization-server")).JsonAsync();
        var (_, token, _) = await configured.As(BrokerApp.Orchestrator).CreateTaskOkAsync(configured.AgentId);
        var es256Proof = await configured.As(BrokerApp.Agent).AccessTokenWithProofAsync(token, _key.Proof("POST", TokenEndpoint, configured.Time.GetUtcNow()));

        Assert.Multiple(async () =>
        {
            Assert.That(defaults["dpop_signing_alg_values_supported"]!.AsArray().Select(a => (string?)a), Is.EqualTo(new[] { "ES256" }));
            Assert.That((bool?)defaults["tls_client_certificate_bound_access_tokens"], Is.False);
            Assert.That(custom["dpop_signing_alg_values_supported"]!.AsArray().Select(a => (string?)a), Is.EqualTo(new[] { "ES384", "PS256" }));
            Assert.That(await OutcomeAsync(es256Proof), Is.EqualTo((HttpStatusCode.BadRequest, "invalid_dpop_proof", "dpop-proof-invalid")), "ES256 is off the configured list");
        });
    }

    [Test]
    public async Task Every_refused_proof_is_logged_with_its_reason_and_never_the_proof()
    {
        var token = await TaskTokenAsync();
        var proof = _key.Proof("GET", TokenEndpoint, Now);

        await _app.As(BrokerApp.Agent).AccessTokenWithProofAsync(token, proof);
        var refusals = _app.Logs.GetSnapshot().Where(r => r.Id == new Microsoft.Extensions.Logging.EventId(2100, "DpopProofRefused")).ToList();

        Assert.Multiple(() =>
        {
            Assert.That(refusals, Has.Count.EqualTo(1));
            Assert.That(refusals[0].Message, Does.Contain("WrongMethod").And.Contain(_app.AgentId));
            Assert.That(_app.Logs.GetSnapshot().Select(r => r.Message), Has.None.Contains(proof.Split('.')[1]), "no proof material in any log line");
        });
    }
}
