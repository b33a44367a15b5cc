using System.Security.Cryptography;
using CredentialBroker.Core.Tokens;
using CredentialBroker.Testing;
using Microsoft.Extensions.Time.Testing;

namespace CredentialBroker.Core.Tests.Tokens;

public sealed class BrokerTokenValidatorTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 11, 28, 9, 0, 0, TimeSpan.Zero);
    private readonly ECDsa _brokerKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly FakeTimeProvider _time = new(Now);
    private readonly BrokerTokenValidator _validator;

    public BrokerTokenValidatorTests()
    {
        _validator = new BrokerTokenValidator(new SigningKeyRing(new SigningKey(_brokerKey, "k1")), TestOptions.Create(), _time);
    }

    public void Dispose() => _brokerKey.Dispose();

    private string Token(string iss = TestOptions.Issuer, long expIn = 300, string typ = "task+jwt", string kid = "k1", string aud = TestOptions.Issuer, string act = "") => JwtForge.Es256(
        $$"""{"alg":"ES256","kid":"{{kid}}","typ":"{{typ}}"}""",
        $$"""{"iss":"{{iss}}","sub":"spiffe://a.example/agent","aud":"{{aud}}","iat":{{Now.ToUnixTimeSeconds()}},"exp":{{Now.ToUnixTimeSeconds() + expIn}},"jti":"j1","task_id":"tsk_1"{{act}}}""",
        _brokerKey);

    // RFC 8693 §4.1: claims inside act other than identity claims are not meaningful; a token's lifetime and audience are
    // its top-level exp and aud alone, and only the actors' sub values are read from the chain.
    [Test]
    public async Task Exp_and_aud_inside_act_are_ignored_and_only_the_top_level_decides()
    {
        var past = Now.ToUnixTimeSeconds() - 3600;
        var future = Now.ToUnixTimeSeconds() + 3600;
        var misleading = $$$""","act":{"sub":"spiffe://a.example/agents/sub","exp":{{{past}}},"aud":"https://evil.example","act":{"sub":"spiffe://a.example/agent","exp":{{{past}}},"nbf":{{{future}}}}}""";
        var reassuring = $$""","act":{"sub":"spiffe://a.example/agents/sub","exp":{{future}},"aud":"{{TestOptions.Issuer}}"}""";

        var current = await _validator.ValidateAsync(Token(act: misleading), [TokenTypes.Task], audience: TestOptions.Issuer);
        var expired = await _validator.ValidateAsync(Token(expIn: -60, act: reassuring), [TokenTypes.Task], audience: TestOptions.Issuer);
        var elsewhere = await _validator.ValidateAsync(Token(aud: "https://evil.example", act: reassuring), [TokenTypes.Task], audience: TestOptions.Issuer);

        Assert.Multiple(() =>
        {
            Assert.That(current.IsValid, Is.True, "an expired, foreign-audience, not-yet-valid act does not make a current token invalid");
            Assert.That(BrokerTokenClaims.Actors(current.Token!), Is.EqualTo(new[] { "spiffe://a.example/agents/sub", "spiffe://a.example/agent" }), "only the actors' sub values are read");
            Assert.That(expired.Failure, Is.EqualTo(JwtValidationFailure.Expired), "a current act does not revive an expired token");
            Assert.That(elsewhere.Failure, Is.EqualTo(JwtValidationFailure.WrongAudience), "an act naming the broker does not admit a token addressed elsewhere");
        });
    }

    [Test]
    public async Task A_broker_token_passes() => Assert.That((await _validator.ValidateAsync(Token(), [TokenTypes.Task])).IsValid, Is.True);

    [TestCase("https://broker.example/", TestName = "trailing slash")]
    [TestCase("https://Broker.example", TestName = "different case")]
    [TestCase("https://evil.example", TestName = "foreign issuer")]
    public async Task Issuer_must_match_exactly(string iss) =>
        Assert.That((await _validator.ValidateAsync(Token(iss: iss), [TokenTypes.Task])).Failure, Is.EqualTo(JwtValidationFailure.WrongIssuer));

    [Test]
    public async Task Tokens_signed_by_a_key_the_broker_does_not_publish_are_rejected() =>
        Assert.That((await _validator.ValidateAsync(Token(kid: "k2"), [TokenTypes.Task])).Failure, Is.EqualTo(JwtValidationFailure.UnknownKey));

    [Test]
    public async Task Expired_tokens_fail_unless_lifetime_is_not_checked()
    {
        var token = Token(expIn: 60);
        _time.Advance(TimeSpan.FromMinutes(5));

        Assert.Multiple(async () =>
        {
            Assert.That((await _validator.ValidateAsync(token, [TokenTypes.Task])).Failure, Is.EqualTo(JwtValidationFailure.Expired));
            Assert.That((await _validator.ValidateAsync(token, [TokenTypes.Task], checkLifetime: false)).IsValid, Is.True);
        });
    }

    [Test]
    public async Task A_lifetime_longer_than_any_task_is_rejected() =>
        Assert.That((await _validator.ValidateAsync(Token(expIn: 3600), [TokenTypes.Task])).Failure, Is.EqualTo(JwtValidationFailure.LifetimeTooLong));

    [Test]
    public async Task An_audience_can_be_required()
    {
        Assert.Multiple(async () =>
        {
            Assert.That((await _validator.ValidateAsync(Token(), [TokenTypes.Task], audience: TestOptions.Issuer)).IsValid, Is.True);
            Assert.That((await _validator.ValidateAsync(Token(), [TokenTypes.Task], audience: "postgres://payments")).Failure, Is.EqualTo(JwtValidationFailure.WrongAudience));
        });
    }
}
