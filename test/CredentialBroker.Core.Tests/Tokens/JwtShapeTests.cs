using CredentialBroker.Core.Tokens;
using CredentialBroker.Testing;

namespace CredentialBroker.Core.Tests.Tokens;

public sealed class JwtShapeTests
{
    private const string Header = """{"alg":"ES256","kid":"k1","typ":"JWT"}""";
    private const string Payload = """{"sub":"spiffe://a.example/x","aud":"https://broker","exp":2000000000,"iat":1000}""";
    private static readonly string Signature = new('A', 86);

    private static string Token(string header = Header, string payload = Payload) => JwtForge.WithSignature(header, payload, Signature);

    [Test]
    public void Check_passes_a_well_formed_compact_jws() => Assert.That(JwtShape.Check(Token(), 8192), Is.Null);

    [Test]
    public void Check_rejects_tokens_over_the_cap_and_passes_them_under_it()
    {
        var token = Token();
        Assert.Multiple(() =>
        {
            Assert.That(JwtShape.Check(token, token.Length), Is.Null);
            Assert.That(JwtShape.Check(token, token.Length - 1), Is.EqualTo(JwtShapeFailure.TooLarge));
        });
    }

    [Test]
    public void Check_rejects_a_million_dots_in_bounded_time_and_memory()
    {
        var dots = new string('.', 1_000_000);
        var before = GC.GetAllocatedBytesForCurrentThread();

        var failure = JwtShape.Check(dots, 8192);

        Assert.Multiple(() =>
        {
            Assert.That(failure, Is.EqualTo(JwtShapeFailure.TooLarge));
            Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.LessThan(1024));
        });
    }

    [TestCase("a.b", TestName = "two segments")]
    [TestCase("a.b.c.d", TestName = "four segments")]
    [TestCase(".b.c", TestName = "empty header")]
    public void Check_rejects_wrong_segment_counts(string token) =>
        Assert.That(JwtShape.Check(token, 8192), Is.EqualTo(JwtShapeFailure.Malformed).Or.EqualTo(JwtShapeFailure.NotACompactJws));

    [Test]
    public void Check_rejects_a_jwe_where_a_jws_is_expected() =>
        Assert.That(JwtShape.Check(JwtForge.B64("""{"alg":"RSA-OAEP","enc":"A256GCM"}""") + ".a.b.c.d", 8192), Is.EqualTo(JwtShapeFailure.NotACompactJws));

    [Test]
    public void Check_rejects_json_serialization() =>
        Assert.That(JwtShape.Check("""{"payload":"x","signatures":[]}""", 8192), Is.EqualTo(JwtShapeFailure.Malformed));

    [TestCase("ab+c", TestName = "plus")]
    [TestCase("ab/c", TestName = "slash")]
    [TestCase("abc=", TestName = "padding")]
    [TestCase("a", TestName = "impossible length")]
    public void Check_rejects_bad_base64url_in_the_signature(string signature) =>
        Assert.That(JwtShape.Check(JwtForge.WithSignature(Header, Payload, signature), 8192), Is.EqualTo(JwtShapeFailure.Malformed));

    [Test]
    public void Check_rejects_invalid_utf8()
    {
        var badUtf8 = Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Encode([(byte)'{', (byte)'"', 0xC3, 0x28, (byte)'"', (byte)':', (byte)'1', (byte)'}']);
        Assert.That(JwtShape.Check($"{JwtForge.B64(Header)}.{badUtf8}.{Signature}", 8192), Is.EqualTo(JwtShapeFailure.Malformed));
    }

    [TestCase("""{"alg":"ES256","alg":"none"}""", Payload, TestName = "duplicate header member")]
    [TestCase(Header, """{"sub":"spiffe://a.example/x","sub":"spiffe://a.example/admin"}""", TestName = "duplicate payload member")]
    [TestCase(Header, """{"act":{"sub":"a","sub":"b"}}""", TestName = "duplicate nested member")]
    [TestCase(Header, "[1,2]", TestName = "payload not an object")]
    [TestCase(Header, "{\"sub\":", TestName = "truncated JSON")]
    [TestCase("""{"typ":"JWT"}""", Payload, TestName = "no alg")]
    [TestCase("""{"alg":"ES256","cty":"JWT"}""", "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln", TestName = "nested JWT as the payload")] // SECURITY-TESTS #12
    public void Check_rejects_malformed_json(string header, string payload) =>
        Assert.That(JwtShape.Check(Token(header, payload), 8192), Is.EqualTo(JwtShapeFailure.Malformed));

    [Test]
    public void Check_rejects_nesting_beyond_the_depth_limit_and_accepts_shallow_act_chains()
    {
        static string Nested(int depth) => string.Concat(Enumerable.Repeat("""{"act":""", depth)) + "\"x\"" + new string('}', depth);

        Assert.Multiple(() =>
        {
            Assert.That(JwtShape.Check(Token(payload: Nested(100)), 65536), Is.EqualTo(JwtShapeFailure.Malformed));
            Assert.That(JwtShape.Check(Token(payload: Nested(5)), 65536), Is.Null);
        });
    }

    [TestCase("jwk")]
    [TestCase("jku")]
    [TestCase("x5c")]
    [TestCase("x5u")]
    [TestCase("crit")]
    [TestCase("zip")]
    public void Check_rejects_headers_that_let_a_token_choose_its_key_or_processing(string member) =>
        Assert.That(JwtShape.Check(Token($$"""{"alg":"ES256","kid":"k1","{{member}}":"x"}"""), 8192), Is.EqualTo(JwtShapeFailure.ForbiddenHeader));

    [TestCase("""{"exp":"2000000000"}""", TestName = "exp as string")]
    [TestCase("""{"nbf":true}""", TestName = "nbf as bool")]
    [TestCase("""{"aud":[]}""", TestName = "aud empty array")]
    [TestCase("""{"aud":""}""", TestName = "aud empty string")]
    [TestCase("""{"aud":[1]}""", TestName = "aud array of numbers")]
    [TestCase("""{"sub":["a","b"]}""", TestName = "sub as array")]
    [TestCase("""{"iss":{}}""", TestName = "iss as object")]
    public void Check_rejects_registered_claims_of_the_wrong_type(string payload) =>
        Assert.That(JwtShape.Check(Token(payload: payload), 8192), Is.EqualTo(JwtShapeFailure.BadClaimType));

    [TestCase("""{"aud":["https://broker","other"]}""")]
    [TestCase("""{"exp":2000000000.5}""")]
    public void Check_accepts_registered_claims_of_the_right_type(string payload) =>
        Assert.That(JwtShape.Check(Token(payload: payload), 8192), Is.Null);
}
