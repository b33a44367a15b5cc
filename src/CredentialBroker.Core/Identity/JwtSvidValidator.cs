using CredentialBroker.Abstractions;
using CredentialBroker.Abstractions.Identity;
using CredentialBroker.Abstractions.Storage;
using CredentialBroker.Core;
using CredentialBroker.Core.Tokens;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;

namespace CredentialBroker.Core.Identity;

/// <summary>
/// Validates JWT-SVIDs (SPIFFE JWT-SVID spec): <c>sub</c> is a valid SPIFFE ID of a trusted trust domain,
/// the signature verifies with a key of <em>that</em> domain's bundle (a token of domain B signed with
/// A's key fails), <c>aud</c> names the broker, <c>exp</c> is present and current, the algorithm is on the
/// allow-list and fits the key, and <c>typ</c> is absent, <c>JWT</c> or <c>JOSE</c> — so a broker token,
/// access token or DPoP proof can never pass as an SVID.
/// </summary>
public sealed class JwtSvidValidator
{
    private static readonly string[] SvidTypes = [string.Empty, "JWT", "JOSE"];

    private readonly TrustBundleSet _bundles;
    private readonly CredentialBrokerOptions _options;
    private readonly TimeProvider _time;
    private readonly string _audience;

    /// <summary>Creates the validator.</summary>
    public JwtSvidValidator(TrustBundleSet bundles, IOptions<CredentialBrokerOptions> options, [FromKeyedServices(BrokerTime.ServiceKey)] TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        _bundles = bundles;
        _options = options.Value;
        _audience = _options.Issuer ?? throw new InvalidOperationException("CredentialBroker:Issuer must be set before SVIDs can be validated.");
        _time = time;
    }

    /// <summary>Validates <paramref name="token"/> as a JWT-SVID addressed to the broker.</summary>
    public ValueTask<SvidValidationResult> ValidateAsync(string? token) => ValidateAsync(token, _audience);

    /// <summary>
    /// Validates <paramref name="token"/> as a JWT-SVID addressed to <paramref name="audience"/> — a workload's consent
    /// addressed to another workload (delegation), which the broker reads but which is no credential for the broker.
    /// </summary>
    public async ValueTask<SvidValidationResult> ValidateAsync(string? token, string audience)
    {
        ArgumentException.ThrowIfNullOrEmpty(audience);
        if (JwtShape.Check(token, _options.MaxTokenLength) is not null)
        {
            return SvidValidationResult.Invalid(JwtValidationFailure.Malformed);
        }

        // The unverified subject only picks which bundle may verify the signature; nothing else trusts it yet.
        string? subject;
        try
        {
            subject = new JsonWebToken(token).Subject;
        }
        catch (ArgumentException)
        {
            return SvidValidationResult.Invalid(JwtValidationFailure.Malformed);
        }

        if (!SpiffeId.TryParse(subject, out var id, out _) || _bundles.Find(id.TrustDomain) is not { } bundle)
        {
            return SvidValidationResult.Invalid(JwtValidationFailure.UntrustedSubject);
        }

        var result = await JwtValidation.ValidateAsync(token, _options.MaxTokenLength, new JwtValidation.Expectations(
            Types: SvidTypes,
            Algorithms: _options.EffectiveAlgorithms,
            ResolveKey: bundle.Find,
            Issuer: null,
            Audience: audience,
            Now: _time.GetUtcNow(),
            ClockSkew: _options.ClockSkew,
            MaxLifetime: _options.MaxCallerCredentialLifetime)).ConfigureAwait(false);
        if (!result.IsValid)
        {
            return SvidValidationResult.Invalid(result.Failure.Value);
        }

        var expires = DateTimeOffset.FromUnixTimeSeconds((long)result.Token.GetPayloadValue<double>(JwtRegisteredClaimNames.Exp));
        return SvidValidationResult.Valid(id, expires) with { Confirmation = ConfirmationOf(result.Token) };
    }

    // RFC 7800 cnf: a JWK thumbprint (RFC 9449) or a certificate thumbprint (RFC 8705); anything else binds nothing.
    private static KeyBinding? ConfirmationOf(JsonWebToken token)
    {
        if (!token.TryGetPayloadValue<System.Text.Json.JsonElement>("cnf", out var cnf) || cnf.ValueKind != System.Text.Json.JsonValueKind.Object)
        {
            return null;
        }

        foreach (var kind in (ReadOnlySpan<KeyBindingKind>)[KeyBindingKind.Jkt, KeyBindingKind.X5tS256])
        {
            var member = kind == KeyBindingKind.Jkt ? KeyBinding.JktMember : KeyBinding.X5tS256Member;
            if (cnf.TryGetProperty(member, out var value) && value.ValueKind == System.Text.Json.JsonValueKind.String && KeyBinding.IsThumbprint(value.GetString()))
            {
                return new KeyBinding(kind, value.GetString()!);
            }
        }

        return null;
    }
}
