using System.Buffers;
using System.Buffers.Text;
using System.Text.Json;
using System.Text.Unicode;

namespace CredentialBroker.Core.Tokens;

/// <summary>
/// Structural checks every JWT passes before any cryptography or claim logic sees it (RFC 8725).
/// Rejects, in bounded time and memory: oversized input, anything but a three-part compact JWS (a JWE,
/// JSON serialization, nested tokens), bad base64url, invalid UTF-8 or JSON, duplicate members at any
/// depth, deep nesting, header members that would let the token choose its own key or processing
/// (<c>jwk</c>, <c>jku</c>, <c>x5c</c>, <c>x5u</c>, <c>crit</c>, <c>zip</c>, <c>enc</c>), and time claims that are not numbers.
/// The one exception is a DPoP proof (RFC 9449), which must carry its public key as <c>jwk</c>: it proves possession of
/// that key, and the key is trusted only as far as a binding (<c>cnf.jkt</c>) names its thumbprint.
/// </summary>
public static class JwtShape
{
    private const int MaxJsonDepth = 16;

    private static readonly string[] ForbiddenHeaderMembers = ["jwk", "jku", "x5c", "x5u", "crit", "zip", "enc", "b64"];
    private static readonly string[] NumericDateClaims = ["exp", "nbf", "iat"];

    private static readonly JsonDocumentOptions DocumentOptions = new()
    {
        AllowDuplicateProperties = false,
        MaxDepth = MaxJsonDepth,
        CommentHandling = JsonCommentHandling.Disallow,
        AllowTrailingCommas = false,
    };

    /// <summary>Checks the shape of <paramref name="token"/>; <see langword="null"/> when it passes, otherwise the reason.</summary>
    /// <param name="token">The compact serialization, as received.</param>
    /// <param name="maxLength">The longest token accepted, in characters.</param>
    public static JwtShapeFailure? Check(string? token, int maxLength) => Check(token, maxLength, allowEmbeddedJwk: false);

    /// <summary>
    /// Checks the shape of <paramref name="token"/>; with <paramref name="allowEmbeddedJwk"/> the header must carry a
    /// <c>jwk</c> object (a DPoP proof) instead of being refused for it. Every other rule is the same.
    /// </summary>
    /// <param name="token">The compact serialization, as received.</param>
    /// <param name="maxLength">The longest token accepted, in characters.</param>
    /// <param name="allowEmbeddedJwk">Whether the header must carry its key as a <c>jwk</c> object (DPoP proofs only).</param>
    public static JwtShapeFailure? Check(string? token, int maxLength, bool allowEmbeddedJwk)
    {
        if (string.IsNullOrEmpty(token))
        {
            return JwtShapeFailure.Empty;
        }

        if (token.Length > maxLength)
        {
            return JwtShapeFailure.TooLarge;
        }

        var first = token.IndexOf('.', StringComparison.Ordinal);
        var second = first < 0 ? -1 : token.IndexOf('.', first + 1);
        if (first <= 0 || second < 0)
        {
            return JwtShapeFailure.Malformed;
        }

        if (token.IndexOf('.', second + 1) >= 0)
        {
            // Five parts is a JWE; anything else is garbage. Either way it is not what we accept.
            return JwtShapeFailure.NotACompactJws;
        }

        var header = token.AsSpan(0, first);
        var payload = token.AsSpan(first + 1, second - first - 1);
        var signature = token.AsSpan(second + 1);
        if (payload.IsEmpty || signature.IsEmpty || !IsBase64Url(header) || !IsBase64Url(payload) || !IsBase64Url(signature))
        {
            return JwtShapeFailure.Malformed;
        }

        return CheckHeader(header, allowEmbeddedJwk) ?? CheckPayload(payload);
    }

    private static JwtShapeFailure? CheckHeader(ReadOnlySpan<char> encoded, bool allowEmbeddedJwk)
    {
        return WithDecodedJson(encoded, root =>
        {
            foreach (var forbidden in ForbiddenHeaderMembers)
            {
                if (root.TryGetProperty(forbidden, out _) && !(allowEmbeddedJwk && forbidden == "jwk"))
                {
                    return JwtShapeFailure.ForbiddenHeader;
                }
            }

            if (allowEmbeddedJwk && (!root.TryGetProperty("jwk", out var jwk) || jwk.ValueKind != JsonValueKind.Object))
            {
                return JwtShapeFailure.Malformed;
            }

            if (!root.TryGetProperty("alg", out var alg) || alg.ValueKind != JsonValueKind.String)
            {
                return JwtShapeFailure.Malformed;
            }

            if (root.TryGetProperty("kid", out var kid) && kid.ValueKind != JsonValueKind.String)
            {
                return JwtShapeFailure.Malformed;
            }

            if (root.TryGetProperty("typ", out var typ) && typ.ValueKind != JsonValueKind.String)
            {
                return JwtShapeFailure.Malformed;
            }

            return null;
        });
    }

    private static JwtShapeFailure? CheckPayload(ReadOnlySpan<char> encoded)
    {
        return WithDecodedJson(encoded, static root =>
        {
            foreach (var name in NumericDateClaims)
            {
                if (root.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Number)
                {
                    return JwtShapeFailure.BadClaimType;
                }
            }

            foreach (var name in (ReadOnlySpan<string>)["iss", "sub", "jti"])
            {
                if (root.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.String)
                {
                    return JwtShapeFailure.BadClaimType;
                }
            }

            if (root.TryGetProperty("aud", out var aud) && !IsAudience(aud))
            {
                return JwtShapeFailure.BadClaimType;
            }

            return null;
        });
    }

    private static bool IsAudience(JsonElement aud)
    {
        if (aud.ValueKind == JsonValueKind.String)
        {
            return aud.GetString()!.Length > 0;
        }

        if (aud.ValueKind != JsonValueKind.Array || aud.GetArrayLength() == 0)
        {
            return false;
        }

        foreach (var item in aud.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String || item.GetString()!.Length == 0)
            {
                return false;
            }
        }

        return true;
    }

    private static JwtShapeFailure? WithDecodedJson(ReadOnlySpan<char> encoded, Func<JsonElement, JwtShapeFailure?> inspect)
    {
        var maxBytes = Base64Url.GetMaxDecodedLength(encoded.Length);
        var rented = ArrayPool<byte>.Shared.Rent(maxBytes);
        try
        {
            if (Base64Url.DecodeFromChars(encoded, rented, out _, out var written) != OperationStatus.Done)
            {
                return JwtShapeFailure.Malformed;
            }

            var bytes = rented.AsMemory(0, written);
            if (!Utf8.IsValid(bytes.Span))
            {
                return JwtShapeFailure.Malformed;
            }

            using var document = JsonDocument.Parse(bytes, DocumentOptions);
            return document.RootElement.ValueKind == JsonValueKind.Object
                ? inspect(document.RootElement)
                : JwtShapeFailure.Malformed;
        }
        catch (JsonException)
        {
            // Invalid JSON, duplicate members, or nesting deeper than MaxJsonDepth.
            return JwtShapeFailure.Malformed;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private static bool IsBase64Url(ReadOnlySpan<char> segment)
    {
        if (segment.IsEmpty)
        {
            return false;
        }

        foreach (var c in segment)
        {
            if (!(c is >= 'A' and <= 'Z' or >= 'a' and <= 'z' or >= '0' and <= '9' or '-' or '_'))
            {
                return false;
            }
        }

        // A base64url length of 1 (mod 4) can never decode.
        return segment.Length % 4 != 1;
    }
}
