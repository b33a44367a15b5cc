using System.Security.Cryptography;
using CredentialBroker.Abstractions.Identity;
using CredentialBroker.Core.Identity;
using CredentialBroker.Core.Tokens;
using CredentialBroker.Testing;
using Microsoft.Extensions.Time.Testing;
using Microsoft.IdentityModel.Tokens;

namespace CredentialBroker.Core.Tests.Identity;

/// <summary>SECURITY-TESTS #1–#21 for caller JWT-SVIDs. Every rejected token has a valid twin built the same way.</summary>
public sealed class JwtSvidValidatorTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 11, 28, 9, 0, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider _time = new(Now);
    private readonly ECDsa _keyA = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly ECDsa _keyB = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private JwtSvidValidator _validator = null!;

    private static long NowSeconds => Now.ToUnixTimeSeconds();

    [SetUp]
    public void SetUp()
    {
        var bundles = new TrustBundleSet([
            new TrustBundle("a.example", [new SigningKey(_keyA, "ka").PublicJwk]),
            new TrustBundle("b.example", [new SigningKey(_keyB, "kb").PublicJwk]),
        ]);
        _validator = new JwtSvidValidator(bundles, TestOptions.Create(), _time);
    }

    public void Dispose()
    {
        _keyA.Dispose();
        _keyB.Dispose();
    }

    private static string Payload(string sub = "spiffe://a.example/orchestrator", string aud = $"\"{TestOptions.Issuer}\"", long? exp = null, string extra = "") =>
        $$"""{"sub":"{{sub}}","aud":{{aud}},"iat":{{NowSeconds}},"exp":{{exp ?? NowSeconds + 300}}{{extra}}}""";

    private string SignA(string payload, string header = """{"alg":"ES256","kid":"ka","typ":"JWT"}""") => JwtForge.Es256(header, payload, _keyA);

    private async Task<SvidValidationResult> Validate(string token) => await _validator.ValidateAsync(token);

    [Test]
    public async Task A_valid_svid_passes_with_its_subject_and_expiry()
    {
        var result = await Validate(SignA(Payload()));

        Assert.Multiple(() =>
        {
            Assert.That(result.IsValid, Is.True, result.Failure?.ToString());
            Assert.That(result.Id!.Value, Is.EqualTo("spiffe://a.example/orchestrator"));
            Assert.That(result.ExpiresAt, Is.EqualTo(Now.AddSeconds(300)));
        });
    }

    [TestCase("""{"alg":"ES256","kid":"ka"}""", TestName = "no typ")]
    [TestCase("""{"alg":"ES256","kid":"ka","typ":"JOSE"}""", TestName = "typ JOSE")]
    [TestCase("""{"alg":"ES256","kid":"ka","typ":"jwt"}""", TestName = "typ jwt lowercase")]
    public async Task Svid_typ_variants_allowed_by_the_spec_pass(string header) =>
        Assert.That((await Validate(SignA(Payload(), header))).IsValid, Is.True);

    [TestCase("task+jwt")]
    [TestCase("at+jwt")]
    [TestCase("dpop+jwt")]
    [TestCase("secevent+jwt")]
    public async Task Other_token_kinds_never_pass_as_svids(string typ) =>
        Assert.That((await Validate(SignA(Payload(), $$"""{"alg":"ES256","kid":"ka","typ":"{{typ}}"}"""))).Failure, Is.EqualTo(JwtValidationFailure.WrongType));

    [TestCase("none")]
    [TestCase("None")]
    [TestCase("NONE")]
    [TestCase("nOnE")]
    public async Task Alg_none_in_any_casing_with_an_empty_signature_is_rejected(string alg)
    {
        var token = JwtForge.B64($$"""{"alg":"{{alg}}","kid":"ka","typ":"JWT"}""") + "." + JwtForge.B64(Payload()) + ".";
        Assert.That((await Validate(token)).IsValid, Is.False);
    }

    [Test]
    public async Task Hs256_signed_with_the_public_key_as_secret_is_rejected()
    {
        var publicKeyBytes = _keyA.ExportSubjectPublicKeyInfo();
        var token = JwtForge.Hs256("""{"alg":"HS256","kid":"ka","typ":"JWT"}""", Payload(), publicKeyBytes);
        Assert.That((await Validate(token)).Failure, Is.EqualTo(JwtValidationFailure.BadAlgorithm));
    }

    [TestCase("RS1")]
    [TestCase("ES256K")]
    [TestCase("EdDSA")]
    [TestCase("ES384")]
    [TestCase("RS256")]
    public async Task Algorithms_off_the_allow_list_or_not_fitting_the_key_are_rejected(string alg) =>
        Assert.That((await Validate(SignA(Payload(), $$"""{"alg":"{{alg}}","kid":"ka","typ":"JWT"}"""))).Failure, Is.EqualTo(JwtValidationFailure.BadAlgorithm));

    [Test]
    public async Task Es384_with_a_p256_key_is_rejected_even_when_allowed()
    {
        var validator = new JwtSvidValidator(
            new TrustBundleSet([new TrustBundle("a.example", [new SigningKey(_keyA, "ka").PublicJwk])]),
            TestOptions.Create(o => { o.AllowedAlgorithms.Add("ES256"); o.AllowedAlgorithms.Add("ES384"); }),
            _time);
        var token = SignA(Payload(), """{"alg":"ES384","kid":"ka","typ":"JWT"}""");

        Assert.Multiple(async () =>
        {
            Assert.That((await validator.ValidateAsync(token)).Failure, Is.EqualTo(JwtValidationFailure.BadAlgorithm));
            Assert.That((await validator.ValidateAsync(SignA(Payload()))).IsValid, Is.True);
        });
    }

    [Test]
    public async Task Psychic_signature_r_equals_s_equals_zero_is_rejected()
    {
        var token = JwtForge.WithSignature("""{"alg":"ES256","kid":"ka","typ":"JWT"}""", Payload(), Base64UrlEncoder.Encode(new byte[64]));
        Assert.That((await Validate(token)).Failure, Is.EqualTo(JwtValidationFailure.BadSignature));
    }

    [Test]
    public async Task One_flipped_signature_bit_is_rejected() =>
        Assert.That((await Validate(JwtForge.FlipSignatureBit(SignA(Payload())))).Failure, Is.EqualTo(JwtValidationFailure.BadSignature));

    [Test]
    public async Task An_edited_claim_under_the_old_signature_is_rejected()
    {
        var token = JwtForge.ReplacePayload(SignA(Payload()), Payload(sub: "spiffe://a.example/soc"));
        Assert.That((await Validate(token)).Failure, Is.EqualTo(JwtValidationFailure.BadSignature));
    }

    [Test]
    public async Task A_key_embedded_in_the_header_is_never_used()
    {
        using var attacker = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var p = attacker.ExportParameters(false);
        var header = $$$"""{"alg":"ES256","kid":"ka","typ":"JWT","jwk":{"kty":"EC","crv":"P-256","x":"{{{Base64UrlEncoder.Encode(p.Q.X)}}}","y":"{{{Base64UrlEncoder.Encode(p.Q.Y)}}}"}}""";
        Assert.That((await Validate(JwtForge.Es256(header, Payload(), attacker))).IsValid, Is.False);
    }

    [TestCase("https://169.254.169.254/latest/meta-data")]
    [TestCase("https://attacker.example/jwks.json")]
    public async Task Jku_and_x5u_are_rejected_without_any_fetch(string url)
    {
        // A fetch would have to go through the network; the shape check rejects the token before any key lookup.
        Assert.Multiple(async () =>
        {
            Assert.That((await Validate(SignA(Payload(), $$"""{"alg":"ES256","kid":"ka","typ":"JWT","jku":"{{url}}"}"""))).Failure, Is.EqualTo(JwtValidationFailure.Malformed));
            Assert.That((await Validate(SignA(Payload(), $$"""{"alg":"ES256","kid":"ka","typ":"JWT","x5u":"{{url}}"}"""))).Failure, Is.EqualTo(JwtValidationFailure.Malformed));
        });
    }

    [TestCase("../../dev/null")]
    [TestCase("' OR 1=1 --")]
    [TestCase("ka\u0000")]
    [TestCase("KA")]
    public async Task Kid_injection_is_an_opaque_failed_lookup(string kid)
    {
        var header = $$"""{"alg":"ES256","kid":{{System.Text.Json.JsonSerializer.Serialize(kid)}},"typ":"JWT"}""";
        Assert.That((await Validate(SignA(Payload(), header))).Failure, Is.EqualTo(JwtValidationFailure.UnknownKey));
    }

    [Test]
    public async Task A_64_kilobyte_kid_is_rejected_by_the_size_cap()
    {
        var header = $$"""{"alg":"ES256","kid":"{{new string('k', 64 * 1024)}}","typ":"JWT"}""";
        Assert.That((await Validate(SignA(Payload(), header))).Failure, Is.EqualTo(JwtValidationFailure.Malformed));
    }

    [Test]
    public async Task Missing_kid_is_rejected() =>
        Assert.That((await Validate(SignA(Payload(), """{"alg":"ES256","typ":"JWT"}"""))).Failure, Is.EqualTo(JwtValidationFailure.UnknownKey));

    [Test]
    public async Task A_token_of_domain_b_signed_with_domain_a_key_is_rejected()
    {
        // The kid points at A's key, but the subject names B: only B's bundle may verify it.
        var token = SignA(Payload(sub: "spiffe://b.example/orchestrator"));
        var twin = JwtForge.Es256("""{"alg":"ES256","kid":"kb","typ":"JWT"}""", Payload(sub: "spiffe://b.example/orchestrator"), _keyB);

        Assert.Multiple(async () =>
        {
            Assert.That((await Validate(token)).Failure, Is.EqualTo(JwtValidationFailure.UnknownKey));
            Assert.That((await Validate(twin)).IsValid, Is.True);
        });
    }

    [Test]
    public async Task A_trust_domain_without_a_bundle_is_rejected() =>
        Assert.That((await Validate(SignA(Payload(sub: "spiffe://c.example/orchestrator")))).Failure, Is.EqualTo(JwtValidationFailure.UntrustedSubject));

    [TestCase("spiffe://A.example/orchestrator")]
    [TestCase("spiffe://a.example")]
    [TestCase("spiffe://a.example/x/../soc")]
    [TestCase("https://a.example/orchestrator")]
    public async Task An_invalid_spiffe_subject_is_rejected(string sub) =>
        Assert.That((await Validate(SignA(Payload(sub: sub)))).Failure, Is.EqualTo(JwtValidationFailure.UntrustedSubject));

    [Test]
    public async Task Unknown_crit_header_is_rejected() =>
        Assert.That((await Validate(SignA(Payload(), """{"alg":"ES256","kid":"ka","typ":"JWT","crit":["exp"]}"""))).Failure, Is.EqualTo(JwtValidationFailure.Malformed));

    [TestCase("\"https://other.example\"", TestName = "foreign audience")]
    [TestCase("\"https://broker.example/\"", TestName = "trailing slash")]
    [TestCase("\"HTTPS://BROKER.EXAMPLE\"", TestName = "different case")]
    [TestCase("[\"https://other.example\"]", TestName = "foreign audience array")]
    public async Task Audiences_that_do_not_name_the_broker_exactly_are_rejected(string aud) =>
        Assert.That((await Validate(SignA(Payload(aud: aud)))).Failure, Is.EqualTo(JwtValidationFailure.WrongAudience));

    [Test]
    public async Task An_audience_array_naming_the_broker_passes() =>
        Assert.That((await Validate(SignA(Payload(aud: $"[\"https://other.example\",\"{TestOptions.Issuer}\"]")))).IsValid, Is.True);

    [Test]
    public async Task Missing_audience_is_rejected()
    {
        var payload = $$"""{"sub":"spiffe://a.example/orchestrator","exp":{{NowSeconds + 300}}}""";
        Assert.That((await Validate(SignA(payload))).Failure, Is.EqualTo(JwtValidationFailure.WrongAudience));
    }

    [Test]
    public async Task Missing_exp_is_rejected()
    {
        var payload = $$"""{"sub":"spiffe://a.example/orchestrator","aud":"{{TestOptions.Issuer}}"}""";
        Assert.That((await Validate(SignA(payload))).Failure, Is.EqualTo(JwtValidationFailure.Expired));
    }

    [Test]
    public async Task Exp_is_judged_against_the_clock_with_the_configured_skew()
    {
        var token = SignA(Payload(exp: NowSeconds + 60));

        _time.Advance(TimeSpan.FromSeconds(60 + 30));
        var atSkewBoundary = await Validate(token);
        _time.Advance(TimeSpan.FromSeconds(1));
        var pastSkew = await Validate(token);

        Assert.Multiple(() =>
        {
            Assert.That(atSkewBoundary.IsValid, Is.True);
            Assert.That(pastSkew.Failure, Is.EqualTo(JwtValidationFailure.Expired));
        });
    }

    [TestCase(-1L, TestName = "negative exp")]
    [TestCase(0L, TestName = "exp zero")]
    public async Task Exp_in_the_distant_past_is_rejected(long exp) =>
        Assert.That((await Validate(SignA(Payload(exp: exp)))).Failure, Is.EqualTo(JwtValidationFailure.Expired));

    [Test]
    public async Task Exp_in_the_year_10000_is_rejected_as_too_long() =>
        Assert.That((await Validate(SignA(Payload(exp: 253402300800)))).Failure, Is.EqualTo(JwtValidationFailure.LifetimeTooLong));

    [Test]
    public async Task Nbf_or_iat_beyond_the_skew_in_the_future_is_rejected_and_within_it_passes()
    {
        var nbfFar = SignA(Payload(extra: $",\"nbf\":{NowSeconds + 31}"));
        var nbfNear = SignA(Payload(extra: $",\"nbf\":{NowSeconds + 30}"));
        var iatFar = SignA($$"""{"sub":"spiffe://a.example/orchestrator","aud":"{{TestOptions.Issuer}}","iat":{{NowSeconds + 31}},"exp":{{NowSeconds + 300}}}""");

        Assert.Multiple(async () =>
        {
            Assert.That((await Validate(nbfFar)).Failure, Is.EqualTo(JwtValidationFailure.NotYetValid));
            Assert.That((await Validate(nbfNear)).IsValid, Is.True);
            Assert.That((await Validate(iatFar)).Failure, Is.EqualTo(JwtValidationFailure.NotYetValid));
        });
    }

    [Test]
    public async Task A_broker_task_token_is_not_an_svid()
    {
        // Signed with a key no trust bundle holds and typed task+jwt: rejected on both counts.
        var broker = SigningKey.Generate("broker");
        var token = new Microsoft.IdentityModel.JsonWebTokens.JsonWebTokenHandler().CreateToken(Payload(), broker.Credentials, new Dictionary<string, object> { ["typ"] = TokenTypes.Task });
        Assert.That((await Validate(token)).IsValid, Is.False);
    }
}
