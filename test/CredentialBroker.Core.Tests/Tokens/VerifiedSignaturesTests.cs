using System.Security.Cryptography;
using CredentialBroker.Core.Tokens;
using CredentialBroker.Testing;
using Microsoft.IdentityModel.Tokens;

namespace CredentialBroker.Core.Tests.Tokens;

/// <summary>
/// A signature verified once is not verified again for the same token and key (JwtValidation remembers it): these tests show
/// that what is remembered cannot be stretched to another token, another key, or past the token's life.
/// </summary>
public sealed class VerifiedSignaturesTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 12, 1, 9, 0, 0, TimeSpan.Zero);
    private readonly ECDsa _signer = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly ECDsa _impostor = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    public void Dispose()
    {
        _signer.Dispose();
        _impostor.Dispose();
    }

    private static string Token(ECDsa key, string jti = "j1", long expIn = 300) => JwtForge.Es256(
        """{"alg":"ES256","kid":"k1","typ":"task+jwt"}""",
        $$"""{"iss":"https://broker.example","aud":"https://broker.example","iat":{{Now.ToUnixTimeSeconds()}},"exp":{{Now.ToUnixTimeSeconds() + expIn}},"jti":"{{jti}}"}""",
        key);

    private static JwtValidation.Expectations Expect(SecurityKey? key, DateTimeOffset now) => new(
        Types: ["task+jwt"],
        Algorithms: ["ES256"],
        ResolveKey: kid => kid == "k1" ? key : null,
        Issuer: "https://broker.example",
        Audience: "https://broker.example",
        Now: now,
        ClockSkew: TimeSpan.FromSeconds(30),
        MaxLifetime: TimeSpan.FromHours(1));

    private static ECDsaSecurityKey Public(ECDsa key) => new(ECDsa.Create(key.ExportParameters(false))) { KeyId = "k1" };

    [Test]
    public async Task A_token_verified_once_passes_again_with_the_same_key()
    {
        var key = Public(_signer);
        var token = Token(_signer);

        var first = await JwtValidation.ValidateAsync(token, 8192, Expect(key, Now));
        var second = await JwtValidation.ValidateAsync(token, 8192, Expect(key, Now.AddSeconds(10)));

        Assert.Multiple(() =>
        {
            Assert.That(first.IsValid, Is.True);
            Assert.That(second.IsValid, Is.True);
            Assert.That(second.Token?.Id, Is.EqualTo("j1"));
        });
    }

    [Test]
    public async Task The_same_claims_under_another_signature_are_verified_and_refused()
    {
        var key = Public(_signer);
        Assume.That((await JwtValidation.ValidateAsync(Token(_signer), 8192, Expect(key, Now))).IsValid, Is.True);

        // Same header and payload, signed by a key the resolver does not give: the remembered entry is for other bytes.
        var forged = Token(_impostor);

        Assert.That((await JwtValidation.ValidateAsync(forged, 8192, Expect(key, Now))).Failure, Is.EqualTo(JwtValidationFailure.BadSignature));
    }

    [Test]
    public async Task A_token_remembered_under_one_key_is_verified_again_when_the_kid_resolves_to_another()
    {
        var token = Token(_signer, jti: "rotated");
        Assume.That((await JwtValidation.ValidateAsync(token, 8192, Expect(Public(_signer), Now))).IsValid, Is.True);

        // The kid now names the impostor's key (a rotation, or a bundle that changed): the signature is checked afresh.
        var result = await JwtValidation.ValidateAsync(token, 8192, Expect(Public(_impostor), Now));

        Assert.That(result.Failure, Is.EqualTo(JwtValidationFailure.BadSignature));
    }

    [Test]
    public async Task A_remembered_token_still_expires_and_a_retired_key_still_refuses_it()
    {
        var key = Public(_signer);
        var token = Token(_signer, jti: "short", expIn: 60);
        Assume.That((await JwtValidation.ValidateAsync(token, 8192, Expect(key, Now))).IsValid, Is.True);

        Assert.Multiple(async () =>
        {
            Assert.That((await JwtValidation.ValidateAsync(token, 8192, Expect(key, Now.AddMinutes(5)))).Failure, Is.EqualTo(JwtValidationFailure.Expired));
            Assert.That((await JwtValidation.ValidateAsync(token, 8192, Expect(null, Now))).Failure, Is.EqualTo(JwtValidationFailure.UnknownKey));
        });
    }
}
