using System.Text.Json;
using CredentialBroker.Abstractions.Identity;
using CredentialBroker.Core.Tokens;
using Microsoft.IdentityModel.JsonWebTokens;

namespace CredentialBroker.Core.Identity;

/// <summary>
/// A minimal JWT-SVID issuer for one trust domain: what development mode uses for its dev identities, and
/// what tests and the load harness use to play SPIRE. Production SVIDs come from your SPIFFE implementation.
/// </summary>
public sealed class JwtSvidMinter
{
    private static readonly JsonWebTokenHandler Handler = new();
    private static readonly Dictionary<string, object> Header = new(StringComparer.Ordinal) { ["typ"] = "JWT" };

    /// <summary>Creates a minter for <paramref name="trustDomain"/> signing with <paramref name="key"/>.</summary>
    public JwtSvidMinter(string trustDomain, SigningKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        TrustDomain = trustDomain;
        Key = key;
        Bundle = new TrustBundle(trustDomain, [key.PublicJwk]);
    }

    /// <summary>The trust domain.</summary>
    public string TrustDomain { get; }

    /// <summary>The signing key.</summary>
    public SigningKey Key { get; }

    /// <summary>The trust bundle that verifies this minter's SVIDs.</summary>
    public TrustBundle Bundle { get; }

    /// <summary>The bundle as a SPIFFE bundle JWKS document.</summary>
    public string BundleJson => JsonSerializer.Serialize(new { keys = new[] { new { kty = "EC", crv = "P-256", x = Key.PublicJwk.X, y = Key.PublicJwk.Y, kid = Key.KeyId, use = "jwt-svid" } } });

    /// <summary>Mints a JWT-SVID for <c>spiffe://{trust domain}{path}</c>.</summary>
    /// <param name="path">The workload path, starting with <c>/</c>.</param>
    /// <param name="audience">The audience (the broker's issuer URL).</param>
    /// <param name="issuedAt">The issue time.</param>
    /// <param name="lifetime">How long the SVID lives.</param>
    public string Mint(string path, string audience, DateTimeOffset issuedAt, TimeSpan lifetime)
    {
        var subject = SpiffeId.Parse($"spiffe://{TrustDomain}{path}");
        var payload = JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["sub"] = subject.Value,
            ["aud"] = audience,
            ["iat"] = issuedAt.ToUnixTimeSeconds(),
            ["exp"] = (issuedAt + lifetime).ToUnixTimeSeconds(),
        });
        return Handler.CreateToken(payload, Key.Credentials, Header);
    }
}
