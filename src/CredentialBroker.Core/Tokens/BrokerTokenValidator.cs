using CredentialBroker.Abstractions;
using CredentialBroker.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CredentialBroker.Core.Tokens;

/// <summary>
/// Validates tokens the broker itself signed: exact <c>iss</c>, the expected <c>typ</c>, ES256 with a
/// published broker key, and (unless asked not to) a current lifetime. Whether the credential is still
/// active is the store's business, not this class's.
/// </summary>
public sealed class BrokerTokenValidator
{
    private static readonly string[] Es256 = ["ES256"];

    private readonly SigningKeyRing _keys;
    private readonly CredentialBrokerOptions _options;
    private readonly TimeProvider _time;
    private readonly string _issuer;

    /// <summary>Creates the validator.</summary>
    public BrokerTokenValidator(SigningKeyRing keys, IOptions<CredentialBrokerOptions> options, [FromKeyedServices(BrokerTime.ServiceKey)] TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        _keys = keys;
        _options = options.Value;
        _time = time;
        _issuer = _options.Issuer ?? throw new InvalidOperationException("CredentialBroker:Issuer must be set before tokens can be validated.");
    }

    /// <summary>Validates <paramref name="token"/> as one of <paramref name="types"/>.</summary>
    /// <param name="token">The compact JWS.</param>
    /// <param name="types">The accepted <c>typ</c> values (see <see cref="TokenTypes"/>).</param>
    /// <param name="audience">An audience the token must name, or <see langword="null"/>.</param>
    /// <param name="checkLifetime">Whether expired tokens fail (revocation accepts them).</param>
    public ValueTask<JwtValidationResult> ValidateAsync(string? token, IReadOnlyCollection<string> types, string? audience = null, bool checkLifetime = true) =>
        JwtValidation.ValidateAsync(token, _options.MaxTokenLength, new JwtValidation.Expectations(
            Types: types,
            Algorithms: Es256,
            ResolveKey: kid => _keys.FindVerificationKey(kid, _time.GetUtcNow()),
            Issuer: _issuer,
            Audience: audience,
            Now: _time.GetUtcNow(),
            ClockSkew: _options.ClockSkew,
            MaxLifetime: _options.MaxTaskTtl,
            CheckLifetime: checkLifetime));
}
