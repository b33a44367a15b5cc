using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.IdentityModel.Tokens;

namespace CredentialBroker.Testing;

/// <summary>
/// A client's DPoP key (P-256) and the proofs it makes (RFC 9449 §4.2), including the broken ones a verifier must refuse:
/// every part of a proof can be overridden.
/// </summary>
public sealed class DpopKey : IDisposable
{
    private readonly ECDsa _key = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    /// <summary>The public JWK as JSON (<c>kty</c>, <c>crv</c>, <c>x</c>, <c>y</c>).</summary>
    public string PublicJwk => Jwk(includePrivate: false);

    /// <summary>The JWK with the private key <c>d</c> as well (a proof must never carry it).</summary>
    public string PrivateJwk => Jwk(includePrivate: true);

    /// <summary>The RFC 7638 SHA-256 thumbprint of the public key, base64url: what <c>cnf.jkt</c> names.</summary>
    public string Thumbprint
    {
        get
        {
            var p = _key.ExportParameters(false);
            var canonical = $$"""{"crv":"P-256","kty":"EC","x":"{{Base64UrlEncoder.Encode(p.Q.X)}}","y":"{{Base64UrlEncoder.Encode(p.Q.Y)}}"}""";
            return Base64UrlEncoder.Encode(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)));
        }
    }

    /// <summary>The <c>ath</c> of <paramref name="token"/>: base64url SHA-256 of its ASCII bytes.</summary>
    public static string Ath(string token) => Base64UrlEncoder.Encode(SHA256.HashData(Encoding.ASCII.GetBytes(token)));

    /// <summary>A proof for <paramref name="method"/> <paramref name="uri"/> issued at <paramref name="issuedAt"/>.</summary>
    /// <param name="method">The <c>htm</c>.</param>
    /// <param name="uri">The <c>htu</c>.</param>
    /// <param name="issuedAt">The <c>iat</c>.</param>
    /// <param name="accessToken">The token the proof accompanies: its hash becomes <c>ath</c>.</param>
    /// <param name="nonce">The server nonce, if any.</param>
    /// <param name="jti">The proof's id (default: a fresh one).</param>
    /// <param name="header">The exact header JSON (default: <c>typ</c> dpop+jwt, ES256, this key's public JWK).</param>
    /// <param name="ath">The exact <c>ath</c> (default: the hash of <paramref name="accessToken"/>, none without one).</param>
    /// <param name="signer">Who signs (default: this key).</param>
    public string Proof(string method, string uri, DateTimeOffset issuedAt, string? accessToken = null, string? nonce = null,
        string? jti = null, string? header = null, string? ath = null, DpopKey? signer = null)
    {
        var claims = new Dictionary<string, object>
        {
            ["jti"] = jti ?? Guid.NewGuid().ToString("N"),
            ["htm"] = method,
            ["htu"] = uri,
            ["iat"] = issuedAt.ToUnixTimeSeconds(),
        };
        if ((ath ?? (accessToken is null ? null : Ath(accessToken))) is { } hash)
        {
            claims["ath"] = hash;
        }

        if (nonce is not null)
        {
            claims["nonce"] = nonce;
        }

        return JwtForge.Es256(header ?? Header(), JsonSerializer.Serialize(claims), (signer ?? this)._key);
    }

    /// <summary>The default header with <paramref name="alg"/>, <paramref name="typ"/> and <paramref name="jwk"/> replaced when given.</summary>
    public string Header(string alg = "ES256", string typ = "dpop+jwt", string? jwk = null) =>
        $$"""{"typ":"{{typ}}","alg":"{{alg}}","jwk":{{jwk ?? PublicJwk}}}""";

    /// <summary>Signs the exact header and claims JSON given with this key.</summary>
    public string Sign(string header, string claims) => JwtForge.Es256(header, claims, _key);

    /// <summary>Signs the exact header and claims given with HMAC-SHA256 (a symmetric proof a verifier must refuse).</summary>
    public static string Hs256(string header, string claims) => JwtForge.Hs256(header, claims, RandomNumberGenerator.GetBytes(32));

    private string Jwk(bool includePrivate)
    {
        var p = _key.ExportParameters(includePrivate);
        var d = includePrivate ? $$""","d":"{{Base64UrlEncoder.Encode(p.D)}}" """.TrimEnd() : string.Empty;
        return $$"""{"kty":"EC","crv":"P-256","x":"{{Base64UrlEncoder.Encode(p.Q.X)}}","y":"{{Base64UrlEncoder.Encode(p.Q.Y)}}"{{d}}}""";
    }

    /// <inheritdoc />
    public void Dispose() => _key.Dispose();
}
