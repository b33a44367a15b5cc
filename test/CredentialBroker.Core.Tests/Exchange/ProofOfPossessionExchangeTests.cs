using CredentialBroker.Abstractions.Identity;
using CredentialBroker.Abstractions.Storage;
using CredentialBroker.Abstractions.Tasks;
using CredentialBroker.Core.Exchange;
using CredentialBroker.Core.ProofOfPossession;
using CredentialBroker.Testing;

namespace CredentialBroker.Core.Tests.Exchange;

/// <summary>Key-bound tokens and delegation without credential hand-over, in the core. Every refusal has a twin that succeeds.</summary>
public sealed class ProofOfPossessionExchangeTests
{
    private static readonly string Jkt = new string('j', 42) + "A";
    private static readonly string OtherJkt = new string('k', 42) + "A";
    private static readonly string Certificate = new string('c', 42) + "A";
    private readonly CoreHarness _harness = new();

    private async Task<string> NewTaskAsync(KeyBinding? binding = null, IReadOnlyList<string>? mayAct = null) =>
        (await _harness.IssueAsync(CoreHarness.Draft() with { Binding = binding, MayAct = mayAct ?? ["spiffe://a.example/agents/"] })).Token!;

    private Task<ExchangeResult> ExchangeAsync(CallerIdentity caller, string token, DpopProof? dpop) =>
        _harness.Exchange.ExchangeAsync(caller, new ExchangeRequest(token, RequestedToken.AccessToken, "postgres://payments", null, null) { Dpop = dpop }, CancellationToken.None).AsTask();

    [Test]
    public async Task A_dpop_proof_binds_the_access_token_to_its_key_and_makes_it_a_dpop_token()
    {
        var token = await NewTaskAsync();

        var bound = await ExchangeAsync(CoreHarness.Agent, token, new DpopProof(Jkt, CoversToken: false));
        var bearer = await ExchangeAsync(CoreHarness.Agent, token, null);

        Assert.Multiple(() =>
        {
            Assert.That(bound.TokenType, Is.EqualTo("DPoP"));
            Assert.That((string?)JwtParts.Payload(bound.Token!)["cnf"]!["jkt"], Is.EqualTo(Jkt));
            Assert.That((string?)JwtParts.Payload(bound.Token!)["cnf"]!["spiffe_id"], Is.EqualTo(CoreHarness.Agent.Id.Value));
            Assert.That(bearer.TokenType, Is.EqualTo("Bearer"));
            Assert.That(JwtParts.Payload(bearer.Token!)["cnf"]!.AsObject().ContainsKey("jkt"), Is.False);
        });
    }

    [Test]
    public async Task A_caller_over_mutual_tls_gets_an_access_token_bound_to_its_certificate()
    {
        var token = await NewTaskAsync();
        var overMtls = CoreHarness.Agent with { Method = CallerAuthenticationMethod.X509Svid, CertificateThumbprint = Certificate };

        var result = await ExchangeAsync(overMtls, token, null);

        Assert.Multiple(() =>
        {
            Assert.That(result.TokenType, Is.EqualTo("Bearer"));
            Assert.That((string?)JwtParts.Payload(result.Token!)["cnf"]!["x5t#S256"], Is.EqualTo(Certificate));
        });
    }

    [Test]
    public async Task A_key_bound_task_token_is_exchanged_only_with_proof_of_its_key_covering_it()
    {
        var token = await NewTaskAsync(KeyBinding.Jkt(Jkt));

        var noProof = await ExchangeAsync(CoreHarness.Agent, token, null);
        var otherKey = await ExchangeAsync(CoreHarness.Agent, token, new DpopProof(OtherJkt, CoversToken: true));
        var notCovering = await ExchangeAsync(CoreHarness.Agent, token, new DpopProof(Jkt, CoversToken: false));
        var proven = await ExchangeAsync(CoreHarness.Agent, token, new DpopProof(Jkt, CoversToken: true));

        Assert.Multiple(() =>
        {
            Assert.That((string?)JwtParts.Payload(token)["cnf"]!["jkt"], Is.EqualTo(Jkt), "the task token names its key");
            Assert.That((noProof.Error, noProof.Code), Is.EqualTo((ExchangeError.InvalidGrant, "key-not-proven")));
            Assert.That((otherKey.Error, otherKey.Code), Is.EqualTo((ExchangeError.InvalidGrant, "key-not-proven")));
            Assert.That((notCovering.Error, notCovering.Code), Is.EqualTo((ExchangeError.InvalidDpopProof, "dpop-proof-invalid")));
            Assert.That(proven.Succeeded, Is.True, proven.Description);
            Assert.That((string?)JwtParts.Payload(proven.Token!)["cnf"]!["jkt"], Is.EqualTo(Jkt), "the access token is bound to the same key");
        });
    }

    [Test]
    public async Task A_certificate_bound_task_token_is_exchanged_only_over_mutual_tls_with_that_certificate()
    {
        var token = await NewTaskAsync(KeyBinding.X5tS256(Certificate));

        var jwtSvid = await ExchangeAsync(CoreHarness.Agent, token, null);
        var otherCertificate = await ExchangeAsync(CoreHarness.Agent with { CertificateThumbprint = OtherJkt }, token, null);
        var right = await ExchangeAsync(CoreHarness.Agent with { CertificateThumbprint = Certificate }, token, null);

        Assert.Multiple(() =>
        {
            Assert.That(jwtSvid.Code, Is.EqualTo("key-not-proven"));
            Assert.That(otherCertificate.Code, Is.EqualTo("key-not-proven"));
            Assert.That(right.Succeeded, Is.True, right.Description);
        });
    }

    [Test]
    public async Task Without_may_act_a_task_is_not_delegated_with_it_it_is()
    {
        var denied = await _harness.DelegateAsync(CoreHarness.Agent, await NewTaskAsync(mayAct: []), "/agents/sub");
        var allowed = await _harness.DelegateAsync(CoreHarness.Agent, await NewTaskAsync(), "/agents/sub");

        Assert.Multiple(() =>
        {
            Assert.That((denied.Error, denied.Code), Is.EqualTo((ExchangeError.InvalidGrant, "actor-not-allowed")));
            Assert.That(denied.Description, Does.Contain("mayAct"));
            Assert.That(allowed.Succeeded, Is.True, allowed.Description);
        });
    }

    [Test]
    public async Task The_consent_form_takes_a_sub_agent_svid_addressed_to_the_delegating_agent_and_binds_its_key()
    {
        var token = await NewTaskAsync();
        var consent = _harness.SvidFor("/agents/sub", [CoreHarness.Agent.Id.Value], $"\"cnf\":{{\"jkt\":\"{Jkt}\"}}");

        var result = await _harness.DelegateWithSvidAsync(CoreHarness.Agent, token, consent);
        var claims = JwtParts.Payload(result.Token!);
        var sub = CoreHarness.Caller("spiffe://a.example/agents/sub", BrokerRoles.Agent);
        var withoutKey = await ExchangeAsync(sub, result.Token!, null);
        var withKey = await ExchangeAsync(sub, result.Token!, new DpopProof(Jkt, CoversToken: true));

        Assert.Multiple(() =>
        {
            Assert.That(result.Succeeded, Is.True, result.Description);
            Assert.That((string?)claims["cnf"]!["spiffe_id"], Is.EqualTo("spiffe://a.example/agents/sub"));
            Assert.That((string?)claims["cnf"]!["jkt"], Is.EqualTo(Jkt));
            Assert.That(withoutKey.Code, Is.EqualTo("key-not-proven"));
            Assert.That(withKey.Succeeded, Is.True, withKey.Description);
        });
    }

    [Test]
    public async Task A_sub_agent_svid_for_the_broker_is_refused_as_actor_token_and_one_for_a_third_party_is_invalid()
    {
        var token = await NewTaskAsync();

        var forBroker = await _harness.DelegateWithSvidAsync(CoreHarness.Agent, token, _harness.Svid("/agents/sub"));
        var forBrokerAndMe = await _harness.DelegateWithSvidAsync(CoreHarness.Agent, token, _harness.SvidFor("/agents/sub", [TestOptions.Issuer, CoreHarness.Agent.Id.Value]));
        var forSomeoneElse = await _harness.DelegateWithSvidAsync(CoreHarness.Agent, token, _harness.SvidFor("/agents/sub", ["spiffe://a.example/other-agent"]));
        var forMe = await _harness.DelegateWithSvidAsync(CoreHarness.Agent, token, _harness.SvidFor("/agents/sub", [CoreHarness.Agent.Id.Value]));

        Assert.Multiple(() =>
        {
            Assert.That((forBroker.Error, forBroker.Code), Is.EqualTo((ExchangeError.InvalidRequest, "actor-svid-for-broker")));
            Assert.That(forBroker.Description, Does.Contain("addressed to this broker").And.Contain("spiffe-id"));
            Assert.That(forBrokerAndMe.Code, Is.EqualTo("actor-svid-for-broker"));
            Assert.That((forSomeoneElse.Error, forSomeoneElse.Code), Is.EqualTo((ExchangeError.InvalidGrant, "actor-invalid")));
            Assert.That(forMe.Succeeded, Is.True, forMe.Description);
        });
    }
}
