using System.Net;
using System.Security.Cryptography;
using CredentialBroker.Abstractions.Identity;
using CredentialBroker.Core.Identity;
using CredentialBroker.Core.Tokens;
using CredentialBroker.Testing;

namespace CredentialBroker.Server.Tests.Identity;

/// <summary>Caller JWT-SVIDs on a REST endpoint (POST /v1/tasks). Every rejected SVID has a valid twin that gets 201.</summary>
public sealed class AuthenticationApiTests : IDisposable
{
    private readonly BrokerApp _app = BrokerApp.Redis();

    public void Dispose() => _app.Dispose();

    private long Now => _app.Time.GetUtcNow().ToUnixTimeSeconds();

    private string Claims(string sub = "spiffe://test.example/orchestrators/billing", string? aud = null, long? exp = null) =>
        $$"""{"sub":"{{sub}}","aud":"{{aud ?? _app.Issuer}}","iat":{{Now}},"exp":{{exp ?? Now + 300}}}""";

    private string Header(string alg = "ES256", string? kid = null) =>
        $$"""{"alg":"{{alg}}","kid":"{{kid ?? _app.Trust.Minter.Key.KeyId}}","typ":"JWT"}""";

    private string SignWithTrustDomainKey(string header, string claims)
    {
        // The trust domain's key, exported through the minter's signing credentials.
        var key = (Microsoft.IdentityModel.Tokens.ECDsaSecurityKey)_app.Trust.Minter.Key.Credentials.Key;
        return JwtForge.Es256(header, claims, key.ECDsa);
    }

    private async Task<HttpResponseMessage> CreateWithAsync(string bearer) =>
        await _app.WithBearer(bearer).CreateTaskAsync(Api.TaskBody(_app.AgentId));

    [Test]
    public async Task The_valid_twin_is_accepted() =>
        Assert.That((await CreateWithAsync(SignWithTrustDomainKey(Header(), Claims()))).StatusCode, Is.EqualTo(HttpStatusCode.Created));

    [Test]
    public async Task Wrong_audience_is_401() =>
        await AssertUnauthorizedAsync(SignWithTrustDomainKey(Header(), Claims(aud: "https://other-broker.test")), "audience");

    [Test]
    public async Task Expired_is_401()
    {
        var svid = SignWithTrustDomainKey(Header(), Claims(exp: Now + 60));
        _app.Time.Advance(TimeSpan.FromSeconds(60 + 31));
        await AssertUnauthorizedAsync(svid, "expired");
    }

    [Test]
    public async Task Alg_none_is_401() =>
        await AssertUnauthorizedAsync(JwtForge.B64("""{"alg":"none","typ":"JWT"}""") + "." + JwtForge.B64(Claims()) + ".", "");

    [Test]
    public async Task Unknown_kid_is_401() =>
        await AssertUnauthorizedAsync(SignWithTrustDomainKey(Header(kid: "not-in-the-bundle"), Claims()), "kid");

    [Test]
    public async Task An_untrusted_trust_domain_is_401()
    {
        var stranger = new JwtSvidMinter("stranger.example", SigningKey.Generate());
        await AssertUnauthorizedAsync(stranger.Mint("/orchestrators/billing", _app.Issuer, _app.Time.GetUtcNow(), TimeSpan.FromMinutes(5)), "trusted trust domain");
    }

    [Test]
    public async Task A_same_named_key_from_another_party_is_401()
    {
        using var impostor = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        await AssertUnauthorizedAsync(JwtForge.Es256(Header(), Claims(), impostor), "signature");
    }

    [Test]
    public async Task A_broker_task_token_is_not_a_caller_credential()
    {
        var (_, taskToken, _) = await _app.As(BrokerApp.Orchestrator).CreateTaskOkAsync(_app.AgentId);
        await AssertUnauthorizedAsync(taskToken, "");
    }

    [Test]
    public async Task A_valid_svid_without_the_role_is_403_and_with_it_201()
    {
        var agent = await _app.As(BrokerApp.Agent).CreateTaskAsync(Api.TaskBody(_app.AgentId));
        var nobody = await _app.As(BrokerApp.NoRole).CreateTaskAsync(Api.TaskBody(_app.AgentId));
        var orchestrator = await _app.As(BrokerApp.Orchestrator).CreateTaskAsync(Api.TaskBody(_app.AgentId));

        Assert.Multiple(async () =>
        {
            Assert.That(agent.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
            Assert.That((string?)(await agent.JsonAsync())["detail"], Does.Contain("orchestrator"));
            Assert.That(nobody.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
            Assert.That(orchestrator.StatusCode, Is.EqualTo(HttpStatusCode.Created));
        });
    }

    [Test]
    public async Task No_credential_is_401_with_a_bearer_challenge()
    {
        var response = await _app.CreateClient().CreateTaskAsync(Api.TaskBody(_app.AgentId));

        Assert.Multiple(() =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
            Assert.That(response.Headers.WwwAuthenticate.ToString(), Is.EqualTo("Bearer realm=\"credentialbroker\""));
            Assert.That(response.Content.Headers.ContentType!.MediaType, Is.EqualTo("application/problem+json"));
        });
    }

    [Test]
    public async Task A_million_dots_as_bearer_is_rejected_quickly_without_500()
    {
        var response = await CreateWithAsync(new string('.', 30_000));
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
    }

    private async Task AssertUnauthorizedAsync(string bearer, string detailFragment)
    {
        var response = await CreateWithAsync(bearer);
        var problem = await response.JsonAsync();
        var text = problem.ToJsonString();

        Assert.Multiple(() =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
            Assert.That(response.Headers.WwwAuthenticate.ToString(), Does.Contain("error=\"invalid_token\""));
            Assert.That((string?)problem["detail"], Does.Contain(detailFragment));
            Assert.That(text, Does.Not.Contain(bearer.Split('.')[0]), "no token material in the error");
        });
    }
}
