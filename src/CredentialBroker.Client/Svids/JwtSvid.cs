using System.Text;
using System.Text.Json;

namespace CredentialBroker.Client.Svids;

/// <summary>A JWT-SVID: the compact token, and what the client needs to know of it without validating it.</summary>
public sealed class JwtSvid
{
    /// <summary>Creates a JWT-SVID from its parts.</summary>
    public JwtSvid(string token, string spiffeId, IReadOnlyList<string> audience, DateTimeOffset issuedAt, DateTimeOffset expiresAt)
    {
        Token = token;
        SpiffeId = spiffeId;
        Audience = audience;
        IssuedAt = issuedAt;
        ExpiresAt = expiresAt;
    }

    /// <summary>The token (JWS compact serialization). Never log it.</summary>
    public string Token { get; }

    /// <summary>Its SPIFFE ID (<c>sub</c>).</summary>
    public string SpiffeId { get; }

    /// <summary>Its audience (<c>aud</c>).</summary>
    public IReadOnlyList<string> Audience { get; }

    /// <summary>When it was issued (<c>iat</c>; <see cref="DateTimeOffset.MinValue"/> if absent).</summary>
    public DateTimeOffset IssuedAt { get; }

    /// <summary>When it expires (<c>exp</c>).</summary>
    public DateTimeOffset ExpiresAt { get; }

    /// <summary>Reads the claims of <paramref name="token"/> without checking its signature (the broker does that).</summary>
    /// <exception cref="FormatException">It is not a JWT with <c>sub</c> and <c>exp</c>.</exception>
    public static JwtSvid Parse(string token)
    {
        ArgumentNullException.ThrowIfNull(token);
        token = token.Trim();
        var parts = token.Split('.');
        if (parts.Length != 3)
        {
            throw new FormatException("A JWT-SVID has three dot-separated parts.");
        }

        try
        {
            using var payload = JsonDocument.Parse(Base64Url(parts[1]));
            var root = payload.RootElement;
            var subject = root.TryGetProperty("sub", out var sub) && sub.ValueKind == JsonValueKind.String ? sub.GetString()! : throw new FormatException("The JWT-SVID has no sub.");
            var expires = root.TryGetProperty("exp", out var exp) && exp.TryGetInt64(out var e) ? DateTimeOffset.FromUnixTimeSeconds(e) : throw new FormatException("The JWT-SVID has no exp.");
            var issued = root.TryGetProperty("iat", out var iat) && iat.TryGetInt64(out var i) ? DateTimeOffset.FromUnixTimeSeconds(i) : DateTimeOffset.MinValue;
            IReadOnlyList<string> audience = root.TryGetProperty("aud", out var aud) ? aud.ValueKind switch
            {
                JsonValueKind.String => [aud.GetString()!],
                JsonValueKind.Array => [.. aud.EnumerateArray().Where(a => a.ValueKind == JsonValueKind.String).Select(a => a.GetString()!)],
                _ => [],
            } : [];
            return new JwtSvid(token, subject, audience, issued, expires);
        }
        catch (Exception ex) when (ex is JsonException or ArgumentException)
        {
            throw new FormatException("The JWT-SVID's payload is not a JSON object.", ex);
        }
    }

    /// <inheritdoc />
    public override string ToString() => $"JWT-SVID {SpiffeId} for {string.Join(' ', Audience)}, expires {ExpiresAt:O}";

    private static byte[] Base64Url(string segment)
    {
        var padded = new StringBuilder(segment.Replace('-', '+').Replace('_', '/'));
        padded.Append('=', (4 - (padded.Length % 4)) % 4);
        try
        {
            return Convert.FromBase64String(padded.ToString());
        }
        catch (FormatException ex)
        {
            throw new ArgumentException("not base64url", nameof(segment), ex);
        }
    }
}
