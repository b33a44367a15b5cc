using CredentialBroker.Abstractions;
using CredentialBroker.Core.ProofOfPossession;
using CredentialBroker.EmbeddedStore;
using CredentialBroker.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace CredentialBroker.Core.Tests.ProofOfPossession;

/// <summary>RFC 9449 §4.3, check by check, on the embedded replay store. Every refused proof has a valid twin.</summary>
public sealed class DpopProofValidatorTests : IDisposable
{
    private const string Uri = TestOptions.Issuer + "/oauth2/token";
    private const string Token = "eyJ.a-task-token.sig";
    private readonly FakeTimeProvider _time = new(CoreHarness.Start);
    private readonly DpopKey _key = new();
    private readonly DpopKey _other = new();

    public void Dispose()
    {
        _key.Dispose();
        _other.Dispose();
    }

    private DpopProofValidator Validator(Action<CredentialBrokerOptions>? configure = null, InMemoryCredentialStore? store = null)
    {
        var options = TestOptions.Create(configure);
        return new DpopProofValidator(store ?? new InMemoryCredentialStore(_time, options), options, _time, NullLogger<DpopProofValidator>.Instance);
    }

    private async Task<DpopValidation> ValidateAsync(string proof, DpopProofValidator? validator = null, string method = "POST", string? presented = Token) =>
        await (validator ?? Validator()).ValidateAsync([proof], method, Uri, presented, "spiffe://a.example/agent", CancellationToken.None);

    private string Valid(string? jti = null) => _key.Proof("POST", Uri, _time.GetUtcNow(), jti: jti);

    [Test]
    public async Task A_valid_proof_names_its_keys_thumbprint()
    {
        var result = await ValidateAsync(Valid());

        Assert.Multiple(() =>
        {
            Assert.That(result.IsValid, Is.True, result.Description);
            Assert.That(result.Proof!.Jkt, Is.EqualTo(_key.Thumbprint));
            Assert.That(result.Proof.CoversToken, Is.False, "no ath");
        });
    }

    [TestCase("POST", TestOptions.Issuer + "/oauth2/token", TestName = "the exact URI")]
    [TestCase("POST", "HTTPS://BROKER.EXAMPLE:443/oauth2/token", TestName = "scheme and host case and the default port normalised")]
    [TestCase("POST", TestOptions.Issuer + "/oauth2/token?x=1#f", TestName = "query and fragment ignored")]
    public async Task Htu_is_compared_after_normalisation(string method, string htu) =>
        Assert.That((await ValidateAsync(_key.Proof(method, htu, _time.GetUtcNow()))).IsValid, Is.True);

    [TestCase("GET", Uri, DpopFailure.WrongMethod, TestName = "wrong htm")]
    [TestCase("post", Uri, DpopFailure.WrongMethod, TestName = "htm in the wrong case")]
    [TestCase("POST", TestOptions.Issuer + "/oauth2/revoke", DpopFailure.WrongUri, TestName = "another endpoint")]
    [TestCase("POST", "https://evil.example/oauth2/token", DpopFailure.WrongUri, TestName = "another host")]
    [TestCase("POST", "http://broker.example/oauth2/token", DpopFailure.WrongUri, TestName = "another scheme")]
    [TestCase("POST", "/oauth2/token", DpopFailure.WrongUri, TestName = "a relative htu")]
    public async Task A_proof_for_another_request_is_refused(string method, string htu, DpopFailure failure) =>
        Assert.That((await ValidateAsync(_key.Proof(method, htu, _time.GetUtcNow()))).Failure, Is.EqualTo(failure));

    [Test]
    public async Task Iat_must_lie_within_the_proof_age_and_the_skew()
    {
        var now = _time.GetUtcNow();
        var validator = Validator();

        Assert.Multiple(async () =>
        {
            Assert.That((await ValidateAsync(_key.Proof("POST", Uri, now.AddSeconds(-60)), validator)).IsValid, Is.True, "60 s old: the limit");
            Assert.That((await ValidateAsync(_key.Proof("POST", Uri, now.AddSeconds(-61)), validator)).Failure, Is.EqualTo(DpopFailure.Stale));
            Assert.That((await ValidateAsync(_key.Proof("POST", Uri, now.AddSeconds(5)), validator)).IsValid, Is.True, "5 s ahead: the skew");
            Assert.That((await ValidateAsync(_key.Proof("POST", Uri, now.AddSeconds(6)), validator)).Failure, Is.EqualTo(DpopFailure.Future));
        });
    }

    [TestCase(1e13, DpopFailure.Future)]
    [TestCase(-1e13, DpopFailure.Stale)]
    [TestCase(1e300, DpopFailure.Malformed)] // beyond what the JWT library reads as a number
    public async Task An_iat_far_outside_the_window_is_refused_not_a_server_error(double iat, DpopFailure failure)
    {
        var claims = $$"""{"jti":"{{Guid.NewGuid():N}}","htm":"POST","htu":"{{Uri}}","iat":{{iat.ToString("R", System.Globalization.CultureInfo.InvariantCulture)}},"ath":"{{DpopKey.Ath(Token)}}"}""";
        var now = $$"""{"jti":"{{Guid.NewGuid():N}}","htm":"POST","htu":"{{Uri}}","iat":{{_time.GetUtcNow().ToUnixTimeSeconds()}},"ath":"{{DpopKey.Ath(Token)}}"}""";

        Assert.Multiple(async () =>
        {
            Assert.That((await ValidateAsync(_key.Sign(_key.Header(), claims))).Failure, Is.EqualTo(failure));
            Assert.That((await ValidateAsync(_key.Sign(_key.Header(), now))).IsValid, Is.True, "the same proof issued now");
        });
    }

    [TestCase(1024, 256, false, TestName = "a 1024-bit modulus padded with zero octets to 2048 bits")]
    [TestCase(2048, 257, false, TestName = "a 2048-bit modulus with a leading zero octet")]
    [TestCase(2048, 256, true, TestName = "a 2048-bit modulus, minimally encoded")]
    public async Task An_rsa_key_is_judged_by_its_real_modulus_size(int bits, int encodedOctets, bool accepted)
    {
        using var rsa = System.Security.Cryptography.RSA.Create(bits);
        var parameters = rsa.ExportParameters(includePrivateParameters: false);
        var modulus = new byte[encodedOctets];
        parameters.Modulus!.CopyTo(modulus, encodedOctets - parameters.Modulus.Length);
        var jwk = $$"""{"kty":"RSA","n":"{{Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Encode(modulus)}}","e":"{{Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Encode(parameters.Exponent)}}"}""";
        var header = $$"""{"typ":"dpop+jwt","alg":"RS256","jwk":{{jwk}}}""";
        var claims = $$"""{"jti":"{{Guid.NewGuid():N}}","htm":"POST","htu":"{{Uri}}","iat":{{_time.GetUtcNow().ToUnixTimeSeconds()}},"ath":"{{DpopKey.Ath(Token)}}"}""";
        var input = Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Encode(System.Text.Encoding.UTF8.GetBytes(header)) + "." + Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Encode(System.Text.Encoding.UTF8.GetBytes(claims));
        var signature = rsa.SignData(System.Text.Encoding.ASCII.GetBytes(input), System.Security.Cryptography.HashAlgorithmName.SHA256, System.Security.Cryptography.RSASignaturePadding.Pkcs1);
        var proof = input + "." + Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Encode(signature);

        var result = await ValidateAsync(proof, Validator(o => o.Dpop.Algorithms.Add("RS256")));

        Assert.That(result.IsValid, Is.EqualTo(accepted), result.Failure.ToString());
    }

    [Test]
    public async Task A_jti_is_accepted_once_per_key_and_a_replay_after_the_window_is_stale()
    {
        var validator = Validator();
        var first = await ValidateAsync(Valid("jti-1"), validator);
        var replay = await ValidateAsync(Valid("jti-1"), validator);
        var sameJtiOtherKey = await ValidateAsync(_other.Proof("POST", Uri, _time.GetUtcNow(), jti: "jti-1"), validator);
        _time.Advance(TimeSpan.FromSeconds(61));
        var staleReplay = await ValidateAsync(_key.Proof("POST", Uri, _time.GetUtcNow().AddSeconds(-61), jti: "jti-1"), validator);

        Assert.Multiple(() =>
        {
            Assert.That(first.IsValid, Is.True);
            Assert.That(replay.Failure, Is.EqualTo(DpopFailure.Replayed));
            Assert.That(sameJtiOtherKey.IsValid, Is.True, "one client cannot burn another's jti");
            Assert.That(staleReplay.Failure, Is.EqualTo(DpopFailure.Stale));
        });
    }

    [Test]
    public async Task A_refused_proof_does_not_burn_its_jti()
    {
        var validator = Validator();
        var wrongMethod = await ValidateAsync(_key.Proof("GET", Uri, _time.GetUtcNow(), jti: "jti-2"), validator);
        var twin = await ValidateAsync(Valid("jti-2"), validator);

        Assert.Multiple(() =>
        {
            Assert.That(wrongMethod.Failure, Is.EqualTo(DpopFailure.WrongMethod));
            Assert.That(twin.IsValid, Is.True);
        });
    }

    [Test]
    public async Task The_header_must_be_a_dpop_proof_with_a_public_asymmetric_key()
    {
        var claims = $$"""{"jti":"x","htm":"POST","htu":"{{Uri}}","iat":{{_time.GetUtcNow().ToUnixTimeSeconds()}}}""";

        Assert.Multiple(async () =>
        {
            Assert.That((await ValidateAsync(Valid())).IsValid, Is.True);
            Assert.That((await ValidateAsync(JwtForge.B64(_key.Header(alg: "none")) + "." + JwtForge.B64(claims) + ".")).Failure, Is.EqualTo(DpopFailure.Malformed), "alg none: no signature");
            Assert.That((await ValidateAsync(JwtForge.WithSignature(_key.Header(alg: "none"), claims, "AAAA"))).Failure, Is.EqualTo(DpopFailure.BadAlgorithm), "alg none");
            Assert.That((await ValidateAsync(DpopKey.Hs256(_key.Header(alg: "HS256"), claims))).Failure, Is.EqualTo(DpopFailure.BadAlgorithm), "HS256");
            Assert.That((await ValidateAsync(_key.Proof("POST", Uri, _time.GetUtcNow(), header: _key.Header(jwk: _key.PrivateJwk)))).Failure, Is.EqualTo(DpopFailure.BadKey), "a private key in the header");
            Assert.That((await ValidateAsync(_key.Proof("POST", Uri, _time.GetUtcNow(), header: _key.Header(jwk: """{"kty":"oct","k":"c2VjcmV0"}""")))).Failure, Is.EqualTo(DpopFailure.BadKey), "a symmetric key");
            Assert.That((await ValidateAsync(_key.Proof("POST", Uri, _time.GetUtcNow(), header: _key.Header(typ: "JWT")))).Failure, Is.EqualTo(DpopFailure.WrongType));
            Assert.That((await ValidateAsync(_key.Proof("POST", Uri, _time.GetUtcNow(), header: _key.Header(alg: "ES384")))).Failure, Is.EqualTo(DpopFailure.BadAlgorithm), "off the allow-list");
            Assert.That((await ValidateAsync(_key.Proof("POST", Uri, _time.GetUtcNow(), signer: _other))).Failure, Is.EqualTo(DpopFailure.BadSignature), "signed by another key");
            Assert.That((await ValidateAsync(_key.Sign("""{"typ":"dpop+jwt","alg":"ES256"}""", claims))).Failure, Is.EqualTo(DpopFailure.Malformed), "no jwk");
            Assert.That((await ValidateAsync(_key.Sign(_key.Header(), """{"htm":"POST"}"""))).Failure, Is.EqualTo(DpopFailure.Malformed), "claims missing");
        });
    }

    [Test]
    public async Task Exactly_one_proof_is_accepted()
    {
        var validator = Validator();

        Assert.Multiple(async () =>
        {
            Assert.That((await validator.ValidateAsync([Valid(), Valid()], "POST", Uri, null, "caller", CancellationToken.None)).Failure, Is.EqualTo(DpopFailure.NotOneProof));
            Assert.That((await validator.ValidateAsync([Valid()], "POST", Uri, null, "caller", CancellationToken.None)).IsValid, Is.True);
        });
    }

    [Test]
    public async Task Ath_when_present_must_hash_the_presented_token()
    {
        var now = _time.GetUtcNow();

        Assert.Multiple(async () =>
        {
            var covering = await ValidateAsync(_key.Proof("POST", Uri, now, accessToken: Token));
            Assert.That(covering.IsValid, Is.True);
            Assert.That(covering.Proof!.CoversToken, Is.True);
            Assert.That((await ValidateAsync(_key.Proof("POST", Uri, now, accessToken: "another-token"))).Failure, Is.EqualTo(DpopFailure.WrongTokenHash));
            Assert.That((await ValidateAsync(_key.Proof("POST", Uri, now, accessToken: Token), presented: null)).Failure, Is.EqualTo(DpopFailure.WrongTokenHash), "no token presented");
        });
    }

    [Test]
    public async Task With_nonces_required_only_a_nonce_the_broker_handed_out_passes()
    {
        var options = TestOptions.Create(o => o.Dpop.RequireNonce = true);
        var store = new InMemoryCredentialStore(_time, options);
        var validator = Validator(o => o.Dpop.RequireNonce = true, store);
        var nonces = new DpopNonces(store, options, _time);
        var nonce = await nonces.CurrentAsync(CancellationToken.None);
        var now = _time.GetUtcNow();

        var without = await ValidateAsync(_key.Proof("POST", Uri, now), validator);
        var wrong = await ValidateAsync(_key.Proof("POST", Uri, now, nonce: "not-a-nonce-we-gave"), validator);
        var right = await ValidateAsync(_key.Proof("POST", Uri, now, nonce: nonce), validator);
        _time.Advance(TimeSpan.FromMinutes(5));
        var expired = await ValidateAsync(_key.Proof("POST", Uri, _time.GetUtcNow(), nonce: nonce), validator);
        var fresh = await nonces.CurrentAsync(CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(without.Failure, Is.EqualTo(DpopFailure.NonceRequired));
            Assert.That(wrong.Failure, Is.EqualTo(DpopFailure.NonceRequired));
            Assert.That(right.IsValid, Is.True);
            Assert.That(expired.Failure, Is.EqualTo(DpopFailure.NonceRequired));
            Assert.That(fresh, Is.Not.EqualTo(nonce), "a fresh nonce after half the lifetime");
        });
    }

    [Test]
    public void The_thumbprint_is_rfc_7638s()
    {
        // RFC 7638 §3.1's example key and thumbprint.
        const string jwk = """{"kty":"RSA","n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw","e":"AQAB","alg":"RS256","kid":"2011-04-29"}""";
        var thumbprint = Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Encode(new Microsoft.IdentityModel.Tokens.JsonWebKey(jwk).ComputeJwkThumbprint());

        Assert.Multiple(() =>
        {
            Assert.That(thumbprint, Is.EqualTo("NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"));
            Assert.That(Abstractions.Storage.KeyBinding.IsThumbprint(thumbprint), Is.True);
            Assert.That(Abstractions.Storage.KeyBinding.IsThumbprint(_key.Thumbprint), Is.True);
            Assert.That(Abstractions.Storage.KeyBinding.IsThumbprint(thumbprint[..^1] + "B"), Is.False, "a 44th bit that a SHA-256 cannot have");
        });
    }
}
