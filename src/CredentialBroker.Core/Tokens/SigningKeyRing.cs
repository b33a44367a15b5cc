using Microsoft.IdentityModel.Tokens;

namespace CredentialBroker.Core.Tokens;

/// <summary>
/// The broker's keys: one active key that signs, plus older keys that stay published (and verify)
/// until every token they signed has expired.
/// </summary>
public sealed class SigningKeyRing
{
    private readonly Dictionary<string, SigningKey> _byKeyId;

    /// <summary>Creates a ring whose first key signs; every key verifies and is published.</summary>
    public SigningKeyRing(IReadOnlyList<SigningKey> keys)
    {
        ArgumentNullException.ThrowIfNull(keys);
        if (keys.Count == 0)
        {
            throw new ArgumentException("At least one signing key is required.", nameof(keys));
        }

        _byKeyId = new Dictionary<string, SigningKey>(StringComparer.Ordinal);
        foreach (var key in keys)
        {
            if (!_byKeyId.TryAdd(key.KeyId, key))
            {
                throw new ArgumentException($"Two signing keys share the key id '{key.KeyId}'.", nameof(keys));
            }
        }

        Active = keys[0];
        Published = [.. keys.Select(k => k.PublicJwk)];
    }

    /// <summary>The key new tokens are signed with.</summary>
    public SigningKey Active { get; }

    /// <summary>Every public key, as served at <c>/.well-known/jwks.json</c>.</summary>
    public IReadOnlyList<JsonWebKey> Published { get; }

    /// <summary>The verification key for <paramref name="keyId"/>, or <see langword="null"/>. The id is an opaque lookup key.</summary>
    public SecurityKey? FindVerificationKey(string? keyId) =>
        keyId is not null && _byKeyId.TryGetValue(keyId, out var key) ? key.VerificationKey : null;
}
