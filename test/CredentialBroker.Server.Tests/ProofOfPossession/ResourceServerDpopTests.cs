using System.Security.Cryptography.X509Certificates;
using CredentialBroker.Server.Tests.ResourceServers;
using CredentialBroker.Testing;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace CredentialBroker.Server.Tests.ProofOfPossession;

/// <summary>
/// The resource-server library with DPoP-bound access tokens from a real broker on a real Redis: the token with a valid
/// proof of its key is accepted; the same token stolen and used without the key — as a bearer token, with no proof,
/// with a proof of another key — is refused, as are a replayed proof, a proof without or with another token's
/// <c>ath</c>, and one for another URI; each beside its valid twin. An unbound token is not accepted as a DPoP token.
/// </summary>
public sealed class ResourceServerDpopTests : IAsyncDisposable
{
    private const string TokenEndpoint = BrokerApp.TestIssuer + "/oauth2/token";
    private readonly BrokerApp _broker = BrokerApp.Redis();
    private readonly DpopKey _key = new();
    private readonly DpopKey _thief = new();
    private readonly X509Certificate2 _agentCertificate;
    private ResourceServer _server = null!;

    public ResourceServerDpopTests() => _agentCertificate = _broker.Trust.X509Svid(BrokerApp.Agent);

    private DateTimeOffset Now => _broker.Time.GetUtcNow();

    [SetUp]
    public async Task StartAsync()
    {
        // The resource server reads the broker's (fake) clock, so proofs made "now" are fresh for both.
        _server = await ResourceServer.StartAsync(_broker, services: s => s.AddSingleton<TimeProvider>(_broker.Time));
        await _server.Feed.WhenCurrentAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
    }

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        _agentCertificate.Dispose();
        _key.Dispose();
        _thief.Dispose();
        _broker.Dispose();
    }

    private async Task<string> AccessTokenAsync(DpopKey? key)
    {
        var (_, taskToken, _) = await _broker.As(BrokerApp.Orchestrator).CreateTaskOkAsync(_broker.AgentId);
        var response = await _broker.As(BrokerApp.Agent).AccessTokenWithProofAsync(taskToken, key?.Proof("POST", TokenEndpoint, Now));
        response.EnsureSuccessStatusCode();
        return (string)(await response.JsonAsync())["access_token"]!;
    }

    private string ProofFor(string token, DpopKey? signer = null) =>
        _key.Proof("GET", ResourceServer.RowsUri, Now, accessToken: token, signer: signer);

    [Test]
    public async Task A_dpop_bound_token_is_accepted_with_a_proof_of_its_key_and_refused_stolen_without_it()
    {
        var token = await AccessTokenAsync(_key);

        var valid = await _server.GetWithProofAsync(token, ProofFor(token), _agentCertificate);
        var asBearer = await _server.GetWithProofAsync(token, null, _agentCertificate, scheme: "Bearer");
        var noProof = await _server.GetWithProofAsync(token, null, _agentCertificate);
        var thiefsKey = await _server.GetWithProofAsync(token, _thief.Proof("GET", ResourceServer.RowsUri, Now, accessToken: token), _agentCertificate);
        var signedByThief = await _server.GetWithProofAsync(token, ProofFor(token, signer: _thief), _agentCertificate);
        var twin = await _server.GetWithProofAsync(token, ProofFor(token), _agentCertificate);

        Assert.Multiple(() =>
        {
            Assert.That((string?)JwtParts.Payload(token)["cnf"]!["jkt"], Is.EqualTo(_key.Thumbprint));
            Assert.That(valid.Status, Is.EqualTo(StatusCodes.Status200OK), valid.Challenge);
            Assert.That(asBearer.Status, Is.EqualTo(StatusCodes.Status401Unauthorized));
            Assert.That(asBearer.Challenge, Does.Contain("bound to a DPoP key").And.Contain("never as a bearer token"));
            Assert.That(noProof.Status, Is.EqualTo(StatusCodes.Status401Unauthorized));
            Assert.That(noProof.Challenge, Does.StartWith("DPoP").And.Contain("invalid_dpop_proof"));
            Assert.That(thiefsKey.Status, Is.EqualTo(StatusCodes.Status401Unauthorized));
            Assert.That(thiefsKey.Challenge, Does.Contain("another key"));
            Assert.That(signedByThief.Status, Is.EqualTo(StatusCodes.Status401Unauthorized));
            Assert.That(signedByThief.Challenge, Does.Contain("signature"));
            Assert.That(twin.Status, Is.EqualTo(StatusCodes.Status200OK), twin.Challenge);
        });
    }

    [Test]
    public async Task A_replayed_proof_one_without_or_with_another_ath_and_one_for_another_uri_are_refused_beside_a_fresh_one()
    {
        var token = await AccessTokenAsync(_key);
        var proof = ProofFor(token);

        var first = await _server.GetWithProofAsync(token, proof, _agentCertificate);
        var replayed = await _server.GetWithProofAsync(token, proof, _agentCertificate);
        var noAth = await _server.GetWithProofAsync(token, _key.Proof("GET", ResourceServer.RowsUri, Now), _agentCertificate);
        var otherAth = await _server.GetWithProofAsync(token, _key.Proof("GET", ResourceServer.RowsUri, Now, ath: DpopKey.Ath("another token")), _agentCertificate);
        var otherUri = await _server.GetWithProofAsync(token, _key.Proof("GET", "http://localhost/other", Now, accessToken: token), _agentCertificate);
        var otherMethod = await _server.GetWithProofAsync(token, _key.Proof("POST", ResourceServer.RowsUri, Now, accessToken: token), _agentCertificate);
        var stale = await _server.GetWithProofAsync(token, _key.Proof("GET", ResourceServer.RowsUri, Now.AddMinutes(-2), accessToken: token), _agentCertificate);
        var fresh = await _server.GetWithProofAsync(token, ProofFor(token), _agentCertificate);

        Assert.Multiple(() =>
        {
            Assert.That(first.Status, Is.EqualTo(StatusCodes.Status200OK), first.Challenge);
            Assert.That(replayed.Challenge, Does.Contain("used before"));
            Assert.That(replayed.Status, Is.EqualTo(StatusCodes.Status401Unauthorized));
            Assert.That(noAth.Status, Is.EqualTo(StatusCodes.Status401Unauthorized));
            Assert.That(otherAth.Status, Is.EqualTo(StatusCodes.Status401Unauthorized));
            Assert.That(otherAth.Challenge, Does.Contain("ath"));
            Assert.That(otherUri.Challenge, Does.Contain("htu"));
            Assert.That(otherMethod.Challenge, Does.Contain("htm"));
            Assert.That(stale.Challenge, Does.Contain("iat"));
            Assert.That(fresh.Status, Is.EqualTo(StatusCodes.Status200OK), fresh.Challenge);
        });
    }

    [Test]
    public async Task With_nonces_required_a_proof_needs_a_current_nonce_the_resource_server_handed_out()
    {
        await using var server = await ResourceServer.StartAsync(_broker, options =>
        {
            options.RequireDpopNonce = true;
            options.DpopProofMaxAge = TimeSpan.FromSeconds(10);
        }, services: s => s.AddSingleton<TimeProvider>(_broker.Time));
        var token = await AccessTokenAsync(_key);

        var withoutNonce = await server.GetWithProofAsync(token, ProofFor(token), _agentCertificate);
        var wrongNonce = await server.GetWithProofAsync(token, _key.Proof("GET", ResourceServer.RowsUri, Now, accessToken: token, nonce: "not-the-nonce"), _agentCertificate);
        var withNonce = await server.GetWithProofAsync(token, _key.Proof("GET", ResourceServer.RowsUri, Now, accessToken: token, nonce: withoutNonce.Nonce), _agentCertificate);
        _broker.Time.Advance(TimeSpan.FromSeconds(25));
        var staleNonce = await server.GetWithProofAsync(token, _key.Proof("GET", ResourceServer.RowsUri, Now, accessToken: token, nonce: withoutNonce.Nonce), _agentCertificate);
        var freshNonce = await server.GetWithProofAsync(token, _key.Proof("GET", ResourceServer.RowsUri, Now, accessToken: token, nonce: staleNonce.Nonce), _agentCertificate);

        Assert.Multiple(() =>
        {
            Assert.That(withoutNonce.Status, Is.EqualTo(StatusCodes.Status401Unauthorized));
            Assert.That(withoutNonce.Challenge, Does.StartWith("DPoP").And.Contain("use_dpop_nonce"));
            Assert.That(withoutNonce.Nonce, Is.Not.Null.And.Not.Empty);
            Assert.That(wrongNonce.Challenge, Does.Contain("use_dpop_nonce"));
            Assert.That(withNonce.Status, Is.EqualTo(StatusCodes.Status200OK), withNonce.Challenge);
            Assert.That(withNonce.Nonce, Is.Not.Null, "an accepted request tells the nonce for the next proof");
            Assert.That(staleNonce.Challenge, Does.Contain("use_dpop_nonce"), "a nonce two steps old");
            Assert.That(staleNonce.Nonce, Is.Not.EqualTo(withoutNonce.Nonce));
            Assert.That(freshNonce.Status, Is.EqualTo(StatusCodes.Status200OK), freshNonce.Challenge);
        });
    }

    [Test]
    public async Task An_unbound_token_is_not_accepted_as_a_dpop_token_and_is_as_a_bearer_token()
    {
        var token = await AccessTokenAsync(null);

        var asDpop = await _server.GetWithProofAsync(token, ProofFor(token), _agentCertificate);
        var asBearer = await _server.GetWithProofAsync(token, null, _agentCertificate, scheme: "Bearer");

        Assert.Multiple(() =>
        {
            Assert.That(asDpop.Status, Is.EqualTo(StatusCodes.Status401Unauthorized));
            Assert.That(asDpop.Challenge, Does.StartWith("DPoP").And.Contain("not bound to a DPoP key"));
            Assert.That(asBearer.Status, Is.EqualTo(StatusCodes.Status200OK), asBearer.Challenge);
        });
    }
}
