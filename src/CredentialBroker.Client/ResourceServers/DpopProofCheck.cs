using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Extensions;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace CredentialBroker.Client.ResourceServers;

/// <summary>
/// Checks the DPoP proof (RFC 9449 §4.3, §7) that must come with a DPoP-bound access token (<c>cnf.jkt</c>): exactly one
/// <c>DPoP</c> header; <c>typ</c> <c>dpop+jwt</c>; an allowed asymmetric algorithm; a public <c>jwk</c> (no private
/// members) whose RFC 7638 thumbprint is the token's <c>cnf.jkt</c> and which verifies the proof; <c>htm</c> and
/// <c>htu</c> of this request; a fresh <c>iat</c>; <c>ath</c>, the hash of the access token; and a <c>jti</c> this
/// process has not accepted before within the proof's lifetime; with <see cref="BrokerTokenOptions.RequireDpopNonce"/>,
/// a nonce this process handed out (RFC 9449 §9). A refused proof does not use up its <c>jti</c>.
/// </summary>
internal sealed class DpopProofCheck(TimeProvider time)
{
    public const string HeaderName = "DPoP";
    public const string NonceHeaderName = "DPoP-Nonce";

    /// <summary>What <see cref="CheckAsync"/> answers when the proof lacks a current nonce (the challenge then carries a fresh one).</summary>
    public const string NonceRequired = "The DPoP proof must carry the nonce from the DPoP-Nonce header.";
    private const int MaxProofLength = 8192;
    private const int MaxJtiLength = 256;
    private const int PruneAbove = 10_000;
    private static readonly string[] PrivateKeyMembers = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];
    private static readonly string[] ForbiddenHeaderMembers = ["jku", "x5u", "x5c", "crit"];
    private static readonly JsonWebTokenHandler Handler = new() { MapInboundClaims = false, MaximumTokenSizeInBytes = MaxProofLength };
    private readonly ConcurrentDictionary<string, DateTimeOffset> _seen = new(StringComparer.Ordinal);
    private readonly byte[] _nonceKey = RandomNumberGenerator.GetBytes(32);

    /// <summary>
    /// The nonce to hand out now: the current time step (<see cref="BrokerTokenOptions.DpopProofMaxAge"/> long) and its
    /// HMAC under a key of this process, so nothing is stored; a nonce is accepted in its step and the next.
    /// </summary>
    public string CurrentNonce(BrokerTokenOptions settings) => Nonce(Step(settings));

    private long Step(BrokerTokenOptions settings) => time.GetUtcNow().ToUnixTimeSeconds() / (long)Math.Max(1, settings.DpopProofMaxAge.TotalSeconds);

    private string Nonce(long step)
    {
        var stepBytes = BitConverter.GetBytes(step);
        return Base64UrlEncoder.Encode([.. stepBytes, .. HMACSHA256.HashData(_nonceKey, stepBytes).AsSpan(0, 16)]);
    }

    private bool IsCurrentNonce(string nonce, BrokerTokenOptions settings)
    {
        var step = Step(settings);
        var given = Encoding.ASCII.GetBytes(nonce);
        return CryptographicOperations.FixedTimeEquals(given, Encoding.ASCII.GetBytes(Nonce(step)))
            || CryptographicOperations.FixedTimeEquals(given, Encoding.ASCII.GetBytes(Nonce(step - 1)));
    }

    /// <summary>Why the request's proof does not prove <paramref name="jkt"/> for <paramref name="accessToken"/>, or <see langword="null"/> when it does.</summary>
    public async Task<string?> CheckAsync(HttpRequest request, string accessToken, string jkt, BrokerTokenOptions settings)
    {
        var proofs = request.Headers[HeaderName];
        if (proofs.Count != 1 || string.IsNullOrEmpty(proofs[0]) || proofs[0]!.Length > MaxProofLength)
        {
            return "A DPoP-bound token needs exactly one DPoP proof (the DPoP header).";
        }

        var proof = proofs[0]!;
        if (ReadKey(proof, settings) is not { } key)
        {
            return "The DPoP proof is malformed: typ dpop+jwt, an allowed alg and a public EC or RSA jwk, nothing else that names a key.";
        }

        if (!string.Equals(Base64UrlEncoder.Encode(key.ComputeJwkThumbprint()), jkt, StringComparison.Ordinal))
        {
            return "The DPoP proof is signed by another key than the token is bound to.";
        }

        var validation = await Handler.ValidateTokenAsync(proof, new TokenValidationParameters
        {
            IssuerSigningKey = key,
            TryAllIssuerSigningKeys = true,
            ValidTypes = ["dpop+jwt"],
            ValidAlgorithms = [.. settings.DpopAlgorithms],
            ValidateIssuer = false,
            ValidateAudience = false,
            ValidateLifetime = false,
            RequireExpirationTime = false,
            RequireSignedTokens = true,
        }).ConfigureAwait(false);
        if (!validation.IsValid || validation.SecurityToken is not JsonWebToken jwt)
        {
            return "The DPoP proof's signature does not verify with its jwk, or its algorithm is not allowed.";
        }

        if (!jwt.TryGetPayloadValue<string>("jti", out var jti) || jti.Length is 0 or > MaxJtiLength
            || !jwt.TryGetPayloadValue<string>("htm", out var htm) || !jwt.TryGetPayloadValue<string>("htu", out var htu)
            || !jwt.TryGetPayloadValue<double>("iat", out var iat) || !jwt.TryGetPayloadValue<string>("ath", out var ath))
        {
            return "The DPoP proof lacks jti, htm, htu, iat or ath.";
        }

        if (!string.Equals(htm, request.Method, StringComparison.Ordinal))
        {
            return "The DPoP proof's htm is not this request's method.";
        }

        if (!SameTarget(htu, UriHelper.BuildAbsolute(request.Scheme, request.Host, request.PathBase, request.Path)))
        {
            return "The DPoP proof's htu is not this request's URI.";
        }

        // Compared as seconds: an iat far outside the window (1e13, -1e13) is refused, never converted out of range.
        var now = time.GetUtcNow();
        var nowSeconds = now.ToUnixTimeMilliseconds() / 1000.0;
        if (!(iat <= nowSeconds + settings.ClockSkew.TotalSeconds && iat >= nowSeconds - settings.DpopProofMaxAge.TotalSeconds))
        {
            return "The DPoP proof's iat is not current; make a fresh proof for each request.";
        }

        var issuedAt = DateTimeOffset.FromUnixTimeMilliseconds((long)(iat * 1000));

        var expected = Base64UrlEncoder.Encode(SHA256.HashData(Encoding.ASCII.GetBytes(accessToken)));
        if (!CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(ath), Encoding.ASCII.GetBytes(expected)))
        {
            return "The DPoP proof's ath is not the hash of the access token it came with.";
        }

        if (settings.RequireDpopNonce && !(jwt.TryGetPayloadValue<string>("nonce", out var nonce) && IsCurrentNonce(nonce, settings)))
        {
            return NonceRequired;
        }

        return Remember(jkt + " " + jti, issuedAt + settings.DpopProofMaxAge + settings.ClockSkew, now)
            ? null
            : "The DPoP proof was used before; make a fresh proof for each request.";
    }

    /// <summary>Whether two http(s) URIs are the same for <c>htu</c>: scheme, host, port and path after RFC 3986 normalisation; query and fragment ignored.</summary>
    public static bool SameTarget(string? htu, string uri)
    {
        if (!Uri.TryCreate(htu, UriKind.Absolute, out var claimed) || !Uri.TryCreate(uri, UriKind.Absolute, out var expected)
            || claimed.Scheme is not ("http" or "https") || !string.IsNullOrEmpty(claimed.UserInfo))
        {
            return false;
        }

        const UriComponents target = UriComponents.Scheme | UriComponents.Host | UriComponents.Port | UriComponents.Path;
        return string.Equals(claimed.GetComponents(target, UriFormat.UriEscaped), expected.GetComponents(target, UriFormat.UriEscaped), StringComparison.Ordinal);
    }

    private bool Remember(string key, DateTimeOffset forgetAt, DateTimeOffset now)
    {
        if (_seen.Count > PruneAbove)
        {
            foreach (var (seen, until) in _seen)
            {
                if (until <= now)
                {
                    _seen.TryRemove(seen, out _);
                }
            }
        }

        var first = true;
        _seen.AddOrUpdate(key, forgetAt, (_, until) =>
        {
            if (until > now)
            {
                first = false;
                return until;
            }

            return forgetAt;
        });
        return first;
    }

    /// <summary>The header's <c>jwk</c> as a public EC or RSA key, when the header is that of a DPoP proof; otherwise <see langword="null"/>.</summary>
    private static JsonWebKey? ReadKey(string proof, BrokerTokenOptions settings)
    {
        var dot = proof.IndexOf('.', StringComparison.Ordinal);
        if (dot <= 0)
        {
            return null;
        }

        try
        {
            using var header = JsonDocument.Parse(Base64UrlEncoder.DecodeBytes(proof[..dot]));
            var root = header.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("typ", out var typ) || typ.ValueKind != JsonValueKind.String || typ.GetString() != "dpop+jwt"
                || !root.TryGetProperty("alg", out var alg) || alg.ValueKind != JsonValueKind.String || !settings.DpopAlgorithms.Contains(alg.GetString()!)
                || !root.TryGetProperty("jwk", out var jwk) || jwk.ValueKind != JsonValueKind.Object
                || ForbiddenHeaderMembers.Any(m => root.TryGetProperty(m, out _))
                || PrivateKeyMembers.Any(m => jwk.TryGetProperty(m, out _))
                || !jwk.TryGetProperty("kty", out var kty) || kty.ValueKind != JsonValueKind.String || kty.GetString() is not ("EC" or "RSA"))
            {
                return null;
            }

            var key = new JsonWebKey(jwk.GetRawText());
            // The modulus's real size: an n padded with leading zero octets (not the minimal encoding RFC 7518 requires)
            // would otherwise pass a short key for a long one.
            var modulus = Base64UrlEncoder.DecodeBytes(key.N ?? string.Empty);
            return kty.GetString() == "RSA" && (modulus.Length < 256 || modulus[0] == 0) ? null : key;
        }
        catch (Exception ex) when (ex is JsonException or FormatException or ArgumentException)
        {
            return null;
        }
    }
}
