using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using CredentialBroker.Client.ResourceServers;
using CredentialBroker.Testing;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CredentialBroker.Server.Tests.ResourceServers;

/// <summary>
/// RFC 9728 in the resource-server library, against a real broker on a real Redis: the metadata document names the
/// resource and the broker, every 401 names the document, and the resource (RFC 8707 audience) and the issuer are
/// checked exactly — what an MCP server needs to be an OAuth 2.1 resource server for broker tokens.
/// </summary>
public sealed class ProtectedResourceMetadataTests : IDisposable
{
    private const string Resource = "https://mcp.test/tools/mcp";
    private const string Metadata = "https://mcp.test/.well-known/oauth-protected-resource/tools/mcp";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private readonly BrokerApp _broker = BrokerApp.Redis();
    private readonly X509Certificate2 _agentCertificate;

    public ProtectedResourceMetadataTests() => _agentCertificate = _broker.Trust.X509Svid(BrokerApp.Agent);

    public void Dispose()
    {
        _agentCertificate.Dispose();
        _broker.Dispose();
    }

    private Task<ResourceServer> StartAsync(Action<BrokerTokenOptions>? configure = null) => ResourceServer.StartAsync(_broker, options =>
    {
        options.Audience = Resource;
        options.AdvertiseResourceMetadata = true;
        configure?.Invoke(options);
    }, endpoints: app => app.MapBrokerResourceMetadata());

    private async Task<(string TaskId, string AccessToken)> AccessTokenAsync(string resource = Resource)
    {
        var (taskId, taskToken, _) = await _broker.As(BrokerApp.Orchestrator).CreateTaskOkAsync(_broker.AgentId, destination: resource);
        var response = await _broker.As(BrokerApp.Agent).AccessTokenAsync(taskToken, resource);
        response.EnsureSuccessStatusCode();
        return (taskId, (string)(await response.JsonAsync())["access_token"]!);
    }

    [TestCase("https://mcp.example/mcp", "https://mcp.example/.well-known/oauth-protected-resource/mcp")]
    [TestCase("https://mcp.example/tools/mcp/", "https://mcp.example/.well-known/oauth-protected-resource/tools/mcp")]
    [TestCase("https://mcp.example", "https://mcp.example/.well-known/oauth-protected-resource")]
    [TestCase("https://mcp.example:8444/", "https://mcp.example:8444/.well-known/oauth-protected-resource")]
    public void The_metadata_location_inserts_the_well_known_suffix_between_host_and_path(string resource, string location) =>
        Assert.That(ProtectedResourceMetadata.LocationFor(resource).AbsoluteUri, Is.EqualTo(location));

    [TestCase("postgres://payments")]
    [TestCase("https://mcp.example/mcp?tenant=a")]
    [TestCase("https://mcp.example/mcp#tools")]
    [TestCase("mcp")]
    public void A_resource_that_is_not_an_http_url_without_query_or_fragment_has_no_metadata_location(string resource) =>
        Assert.Throws<ArgumentException>(() => ProtectedResourceMetadata.LocationFor(resource));

    [Test]
    public async Task The_metadata_document_names_the_resource_the_broker_and_how_tokens_are_presented()
    {
        await using var server = await StartAsync();

        var (status, _, body) = await server.GetPathAsync(new Uri(Metadata).AbsolutePath, token: null, clientCertificate: null);
        var document = JsonNode.Parse(body)!.AsObject();

        Assert.Multiple(() =>
        {
            Assert.That(status, Is.EqualTo(StatusCodes.Status200OK), "anyone may read it: a client reads it before it has a token");
            Assert.That((string?)document["resource"], Is.EqualTo(Resource));
            Assert.That(document["authorization_servers"]!.AsArray().Select(s => (string?)s), Is.EqualTo(new[] { BrokerApp.TestIssuer }));
            Assert.That(document["bearer_methods_supported"]!.AsArray().Select(s => (string?)s), Is.EqualTo(new[] { "header" }));
            Assert.That((bool?)document["tls_client_certificate_bound_access_tokens"], Is.True);
            Assert.That(document["dpop_signing_alg_values_supported"]!.AsArray().Select(s => (string?)s), Is.EqualTo(new[] { "ES256" }));
            Assert.That((bool?)document["dpop_bound_access_tokens_required"], Is.False);
            Assert.That(document.Select(p => p.Key), Is.EquivalentTo(new[] { "resource", "authorization_servers", "bearer_methods_supported", "tls_client_certificate_bound_access_tokens", "dpop_signing_alg_values_supported", "dpop_bound_access_tokens_required" }));
        });
    }

    [Test]
    public async Task Without_a_token_the_answer_is_401_naming_the_metadata_and_with_one_it_is_served()
    {
        await using var server = await StartAsync();
        await server.Feed.WhenCurrentAsync(CancellationToken.None).WaitAsync(Patience);
        var (_, accessToken) = await AccessTokenAsync();

        var anonymous = await server.GetPathAsync("/rows", token: null, _agentCertificate);
        var authorized = await server.GetPathAsync("/rows", accessToken, _agentCertificate);

        Assert.Multiple(() =>
        {
            Assert.That(anonymous.Status, Is.EqualTo(StatusCodes.Status401Unauthorized));
            Assert.That(anonymous.Challenge, Is.EqualTo($"Bearer resource_metadata=\"{Metadata}\""), "no error without a token (RFC 6750 §3.1)");
            Assert.That(authorized.Status, Is.EqualTo(StatusCodes.Status200OK), authorized.Challenge);
            Assert.That(authorized.Body, Is.EqualTo(_broker.AgentId));
        });
    }

    [Test]
    public async Task A_token_for_another_resource_is_refused_with_the_metadata_named_and_one_for_this_resource_is_served()
    {
        await using var server = await StartAsync();
        await server.Feed.WhenCurrentAsync(CancellationToken.None).WaitAsync(Patience);
        var (_, forThisServer) = await AccessTokenAsync();
        var (_, forAnother) = await AccessTokenAsync("https://other.test/mcp");

        var accepted = await server.GetPathAsync("/rows", forThisServer, _agentCertificate);
        var refused = await server.GetPathAsync("/rows", forAnother, _agentCertificate);

        Assert.Multiple(() =>
        {
            Assert.That(accepted.Status, Is.EqualTo(StatusCodes.Status200OK), accepted.Challenge);
            Assert.That(refused.Status, Is.EqualTo(StatusCodes.Status401Unauthorized));
            Assert.That(refused.Challenge, Does.StartWith($"Bearer resource_metadata=\"{Metadata}\", error=\"invalid_token\""));
        });
    }

    // JwtBearer adds the discovery document's issuer to the valid ones; the library still requires exactly the configured one.
    [Test]
    public async Task A_token_of_another_issuer_is_refused_even_when_its_keys_are_trusted_and_one_of_the_configured_issuer_is_served()
    {
        var discovery = new Uri(BrokerApp.TestIssuer + "/.well-known/oauth-authorization-server");
        await using var server = await StartAsync(options => options.MetadataAddress = discovery);
        await using var otherIssuer = await StartAsync(options =>
        {
            options.Issuer = "https://other-broker.test";
            options.MetadataAddress = discovery;
        });
        await server.Feed.WhenCurrentAsync(CancellationToken.None).WaitAsync(Patience);
        await otherIssuer.Feed.WhenCurrentAsync(CancellationToken.None).WaitAsync(Patience);
        var (_, accessToken) = await AccessTokenAsync();

        var accepted = await server.GetPathAsync("/rows", accessToken, _agentCertificate);
        var refused = await otherIssuer.GetPathAsync("/rows", accessToken, _agentCertificate);

        Assert.Multiple(() =>
        {
            Assert.That(accepted.Status, Is.EqualTo(StatusCodes.Status200OK), accepted.Challenge);
            Assert.That(refused.Status, Is.EqualTo(StatusCodes.Status401Unauthorized));
            Assert.That(refused.Challenge, Does.Contain("error=\"invalid_token\""));
        });
    }

    [Test]
    public async Task A_revoked_token_is_refused_with_the_metadata_named_once_the_feed_brings_its_revocation()
    {
        var revoked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        string? watched = null;
        await using var server = await StartAsync(options => options.OnRevoked = r =>
        {
            if (r.Jti == Volatile.Read(ref watched))
            {
                revoked.TrySetResult();
            }
        });
        await server.Feed.WhenCurrentAsync(CancellationToken.None).WaitAsync(Patience);
        var (taskId, accessToken) = await AccessTokenAsync();
        Volatile.Write(ref watched, (string?)JwtParts.Payload(accessToken)["jti"]);

        var before = await server.GetPathAsync("/rows", accessToken, _agentCertificate);
        (await _broker.As(BrokerApp.Orchestrator).ChangeStateAsync(taskId, "completed")).EnsureSuccessStatusCode();
        await revoked.Task.WaitAsync(Patience);
        var after = await server.GetPathAsync("/rows", accessToken, _agentCertificate);

        Assert.Multiple(() =>
        {
            Assert.That(before.Status, Is.EqualTo(StatusCodes.Status200OK), before.Challenge);
            Assert.That(after.Status, Is.EqualTo(StatusCodes.Status401Unauthorized));
            Assert.That(after.Challenge, Is.EqualTo($"Bearer resource_metadata=\"{Metadata}\", error=\"invalid_token\", error_description=\"The token is revoked.\""));
        });
    }

    [Test]
    public async Task A_dpop_request_whose_proof_is_refused_is_challenged_with_the_metadata_named_and_one_with_a_valid_proof_is_served()
    {
        using var key = new DpopKey();
        // The resource server reads the broker's (fake) clock, so proofs made "now" are fresh for both.
        await using var server = await ResourceServer.StartAsync(_broker, options =>
        {
            options.Audience = Resource;
            options.AdvertiseResourceMetadata = true;
        }, services: s => s.AddSingleton<TimeProvider>(_broker.Time));
        await server.Feed.WhenCurrentAsync(CancellationToken.None).WaitAsync(Patience);
        var (_, taskToken, _) = await _broker.As(BrokerApp.Orchestrator).CreateTaskOkAsync(_broker.AgentId, destination: Resource);
        var exchanged = await _broker.As(BrokerApp.Agent).TokenWithProofAsync(key.Proof("POST", BrokerApp.TestIssuer + "/oauth2/token", _broker.Time.GetUtcNow()),
            ("grant_type", Api.TokenExchange), ("subject_token", taskToken), ("subject_token_type", Api.JwtType), ("resource", Resource));
        exchanged.EnsureSuccessStatusCode();
        var token = (string)(await exchanged.JsonAsync())["access_token"]!;

        var valid = await server.GetWithProofAsync(token, key.Proof("GET", ResourceServer.RowsUri, _broker.Time.GetUtcNow(), accessToken: token), _agentCertificate);
        var noProof = await server.GetWithProofAsync(token, proof: null, _agentCertificate);

        Assert.Multiple(() =>
        {
            Assert.That(valid.Status, Is.EqualTo(StatusCodes.Status200OK), valid.Challenge);
            Assert.That(noProof.Status, Is.EqualTo(StatusCodes.Status401Unauthorized));
            Assert.That(noProof.Challenge, Does.StartWith($"DPoP resource_metadata=\"{Metadata}\", error=\"invalid_dpop_proof\""));
        });
    }

    [Test]
    public async Task Without_AdvertiseResourceMetadata_the_challenge_names_no_metadata_and_the_document_cannot_be_mapped()
    {
        await using var server = await ResourceServer.StartAsync(_broker, options => options.Audience = Resource);

        var anonymous = await server.GetPathAsync("/rows", token: null, _agentCertificate);
        var unmappable = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            ResourceServer.StartAsync(_broker, options => options.Audience = Resource, endpoints: app => app.MapBrokerResourceMetadata()));

        Assert.Multiple(() =>
        {
            Assert.That(anonymous, Is.EqualTo((StatusCodes.Status401Unauthorized, "Bearer", string.Empty)));
            Assert.That(unmappable!.Message, Does.Contain("AdvertiseResourceMetadata"));
        });
    }

    [TestCase("postgres://payments", "is not an absolute HTTP(S) URL")]
    [TestCase("http://mcp.test/mcp", "is not HTTPS")]
    [TestCase("https://mcp.test/mcp?tenant=a", "has a query or a fragment")]
    public async Task AdvertiseResourceMetadata_refuses_at_start_an_audience_that_is_not_an_https_url(string audience, string problem)
    {
        var failure = await Assert.ThrowsAsync<OptionsValidationException>(() => StartAsync(options => options.Audience = audience));
        await using var valid = await StartAsync();

        Assert.That(failure!.Message, Does.Contain($"Audience {problem}"), "the positive twin, with an HTTPS URL, started");
    }
}
