using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using CredentialBroker.Abstractions;
using CredentialBroker.Abstractions.Storage;
using CredentialBroker.Core.Tokens;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace CredentialBroker.Core.ProofOfPossession;

/// <summary>
/// Checks DPoP proofs (RFC 9449 §4.3) in the order the RFC gives, cheapest first, through the same gate as every other
/// JWT (<see cref="JwtShape"/>, <see cref="JwtValidation"/>): exactly one proof; a compact JWS whose header carries
/// <c>typ: dpop+jwt</c>, an asymmetric algorithm from the allow-list and a public <c>jwk</c> (no private members) that
/// verifies it; <c>htm</c> and <c>htu</c> of this request; a fresh <c>iat</c>; an <c>ath</c>, if present, that is the hash
/// of the token presented with it; a server nonce where one is required; and a <c>jti</c> no replica has accepted
/// before. Only then is the proof remembered, so a refused proof cannot burn a <c>jti</c>. Every refusal is logged with
/// its reason (never the proof).
/// </summary>
public sealed partial class DpopProofValidator
{
    /// <summary>The <c>typ</c> of a DPoP proof.</summary>
    public const string ProofType = "dpop+jwt";

    private const int MaxJtiLength = 256;
    private const int MinRsaBits = 2048;
    private static readonly string[] ProofTypes = [ProofType];
    private static readonly string[] PrivateKeyMembers = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

    private readonly IProofReplayStore _store;
    private readonly DpopOptions _options;
    private readonly int _maxLength;
    private readonly IReadOnlyCollection<string> _algorithms;
    private readonly TimeProvider _time;
    private readonly ILogger<DpopProofValidator> _logger;

    /// <summary>Creates the validator.</summary>
    public DpopProofValidator(IProofReplayStore store, IOptions<CredentialBrokerOptions> options, [FromKeyedServices(BrokerTime.ServiceKey)] TimeProvider time, ILogger<DpopProofValidator> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _store = store;
        _options = options.Value.Dpop;
        _maxLength = options.Value.MaxTokenLength;
        _algorithms = _options.EffectiveAlgorithms;
        _time = time;
        _logger = logger;
    }

    /// <summary>Validates the <c>DPoP</c> header values of one request.</summary>
    /// <param name="proofs">Every value of the request's <c>DPoP</c> header (exactly one is accepted).</param>
    /// <param name="method">The request's HTTP method.</param>
    /// <param name="uri">The request's URI as the broker publishes it (its issuer and the endpoint's path).</param>
    /// <param name="presentedToken">The token the proof accompanies (a task token being exchanged, a token being revoked), for <c>ath</c>.</param>
    /// <param name="caller">The authenticated caller's SPIFFE ID, for the audit log.</param>
    /// <param name="cancellationToken">Cancels the replay check.</param>
    /// <exception cref="StoreUnavailableException">The replay store did not answer; the proof cannot be judged.</exception>
    public async ValueTask<DpopValidation> ValidateAsync(IReadOnlyList<string?> proofs, string method, string uri, string? presentedToken, string caller, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(proofs);
        var result = await CheckAsync(proofs, method, uri, presentedToken, cancellationToken).ConfigureAwait(false);
        if (!result.IsValid)
        {
            LogRefused(_logger, result.Failure.Value, method, uri, caller);
        }

        return result;
    }

    /// <summary>The base64url SHA-256 hash of <paramref name="token"/>'s ASCII bytes: the <c>ath</c> of a proof presented with it.</summary>
    public static string TokenHash(string token)
    {
        ArgumentNullException.ThrowIfNull(token);
        return Base64UrlEncoder.Encode(SHA256.HashData(Encoding.ASCII.GetBytes(token)));
    }

    /// <summary>Whether two http(s) URIs are the same for <c>htu</c>: scheme, host and port compared after RFC 3986 normalisation, then the path; query and fragment ignored.</summary>
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

    private async ValueTask<DpopValidation> CheckAsync(IReadOnlyList<string?> proofs, string method, string uri, string? presentedToken, CancellationToken cancellationToken)
    {
        if (proofs.Count != 1)
        {
            return DpopValidation.Invalid(DpopFailure.NotOneProof);
        }

        var proof = proofs[0];
        if (JwtShape.Check(proof, _maxLength, allowEmbeddedJwk: true) is not null)
        {
            return DpopValidation.Invalid(DpopFailure.Malformed);
        }

        if (ReadKey(proof!) is not { } key)
        {
            return DpopValidation.Invalid(DpopFailure.BadKey);
        }

        var now = _time.GetUtcNow();
        var verified = await JwtValidation.ValidateAsync(proof, _maxLength, new JwtValidation.Expectations(
            Types: ProofTypes,
            Algorithms: _algorithms,
            ResolveKey: _ => key,
            Issuer: null,
            Audience: null,
            Now: now,
            ClockSkew: _options.ClockSkew,
            MaxLifetime: TimeSpan.Zero,
            CheckLifetime: false) { EmbeddedJwk = true }).ConfigureAwait(false);
        if (!verified.IsValid)
        {
            return DpopValidation.Invalid(verified.Failure switch
            {
                JwtValidationFailure.WrongType => DpopFailure.WrongType,
                JwtValidationFailure.BadAlgorithm => DpopFailure.BadAlgorithm,
                JwtValidationFailure.Malformed => DpopFailure.Malformed,
                _ => DpopFailure.BadSignature,
            });
        }

        var jwt = verified.Token;
        if (!jwt.TryGetPayloadValue<string>("jti", out var jti) || jti.Length is 0 or > MaxJtiLength
            || !jwt.TryGetPayloadValue<string>("htm", out var htm) || !jwt.TryGetPayloadValue<string>("htu", out var htu)
            || !jwt.TryGetPayloadValue<double>("iat", out var iat))
        {
            return DpopValidation.Invalid(DpopFailure.Malformed);
        }

        if (!string.Equals(htm, method, StringComparison.Ordinal))
        {
            return DpopValidation.Invalid(DpopFailure.WrongMethod);
        }

        if (!SameTarget(htu, uri))
        {
            return DpopValidation.Invalid(DpopFailure.WrongUri);
        }

        // Compared as seconds first: an iat far outside the window (1e13, -1e13) is refused, never converted out of range.
        var nowSeconds = now.ToUnixTimeMilliseconds() / 1000.0;
        if (!(iat <= nowSeconds + _options.ClockSkew.TotalSeconds))
        {
            return DpopValidation.Invalid(DpopFailure.Future);
        }

        if (!(iat >= nowSeconds - _options.MaxProofAge.TotalSeconds))
        {
            return DpopValidation.Invalid(DpopFailure.Stale);
        }

        var issuedAt = DateTimeOffset.FromUnixTimeMilliseconds((long)(iat * 1000));

        var coversToken = false;
        if (jwt.TryGetClaim("ath", out _))
        {
            if (!jwt.TryGetPayloadValue<string>("ath", out var ath) || presentedToken is null
                || !CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(ath), Encoding.ASCII.GetBytes(TokenHash(presentedToken))))
            {
                return DpopValidation.Invalid(DpopFailure.WrongTokenHash);
            }

            coversToken = true;
        }

        string? nonce = null;
        if (jwt.TryGetClaim("nonce", out _))
        {
            if (!jwt.TryGetPayloadValue<string>("nonce", out nonce) || nonce.Length is 0 or > MaxJtiLength)
            {
                return DpopValidation.Invalid(DpopFailure.NonceRequired);
            }
        }
        else if (_options.RequireNonce)
        {
            return DpopValidation.Invalid(DpopFailure.NonceRequired);
        }

        var jkt = Base64UrlEncoder.Encode(key.ComputeJwkThumbprint());
        var proofKey = Base64UrlEncoder.Encode(SHA256.HashData(Encoding.UTF8.GetBytes(jkt + " " + jti)));
        return await _store.AcceptProofAsync(proofKey, nonce, issuedAt + _options.MaxProofAge, cancellationToken).ConfigureAwait(false) switch
        {
            ProofAcceptance.Accepted => DpopValidation.Valid(new DpopProof(jkt, coversToken)),
            ProofAcceptance.Replayed => DpopValidation.Invalid(DpopFailure.Replayed),
            _ => DpopValidation.Invalid(DpopFailure.NonceRequired),
        };
    }

    /// <summary>The header's <c>jwk</c> as a public EC or RSA key, or <see langword="null"/> for anything else.</summary>
    private static JsonWebKey? ReadKey(string proof)
    {
        using var header = JsonDocument.Parse(Base64Url.DecodeFromChars(proof.AsSpan(0, proof.IndexOf('.', StringComparison.Ordinal))));
        var jwk = header.RootElement.GetProperty("jwk");
        foreach (var member in PrivateKeyMembers)
        {
            if (jwk.TryGetProperty(member, out _))
            {
                return null;
            }
        }

        if (!jwk.TryGetProperty("kty", out var kty) || kty.ValueKind != JsonValueKind.String)
        {
            return null;
        }

        var valid = kty.GetString() switch
        {
            "EC" => IsText(jwk, "crv") && jwk.GetProperty("crv").GetString() is "P-256" or "P-384" or "P-521" && IsText(jwk, "x") && IsText(jwk, "y"),
            "RSA" => IsText(jwk, "e") && IsText(jwk, "n") && RsaModulusBits(jwk.GetProperty("n").GetString()!) >= MinRsaBits,
            _ => false,
        };
        if (!valid)
        {
            return null;
        }

        try
        {
            return new JsonWebKey(jwk.GetRawText());
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    /// <summary>
    /// The modulus's size in bits as RFC 7518 §6.3.1.1 encodes it (big-endian, no leading zero octets); 0 for an
    /// encoding that is not base64url or pads the modulus with zero octets to look longer than it is.
    /// </summary>
    private static int RsaModulusBits(string n)
    {
        byte[] modulus;
        try
        {
            modulus = Base64Url.DecodeFromChars(n);
        }
        catch (FormatException)
        {
            return 0;
        }

        return modulus.Length == 0 || modulus[0] == 0 ? 0 : ((modulus.Length - 1) * 8) + (32 - System.Numerics.BitOperations.LeadingZeroCount((uint)modulus[0]));
    }

    private static bool IsText(JsonElement jwk, string member) =>
        jwk.TryGetProperty(member, out var value) && value.ValueKind == JsonValueKind.String && value.GetString()!.Length > 0;

    [LoggerMessage(EventId = 2100, EventName = "DpopProofRefused", Level = LogLevel.Warning,
        Message = "Refused a DPoP proof ({Failure}) on {Method} {Uri} from {Caller}")]
    private static partial void LogRefused(ILogger logger, DpopFailure failure, string method, string uri, string caller);
}
