using CredentialBroker.Abstractions.Identity;
using Microsoft.IdentityModel.Tokens;

namespace CredentialBroker.Core.Identity;

/// <summary>The JWT-SVID signing keys of one trust domain, looked up by <c>kid</c>.</summary>
public sealed class TrustBundle
{
    private readonly Dictionary<string, SecurityKey> _keys;

    /// <summary>Creates a bundle; every key needs a unique <c>kid</c> (JWT-SVID spec §3).</summary>
    public TrustBundle(string trustDomain, IEnumerable<SecurityKey> keys)
    {
        ArgumentNullException.ThrowIfNull(keys);
        if (!SpiffeId.IsValidTrustDomain(trustDomain, out var error))
        {
            throw new ArgumentException($"Invalid trust domain '{trustDomain}': {error}.", nameof(trustDomain));
        }

        TrustDomain = trustDomain;
        _keys = new Dictionary<string, SecurityKey>(StringComparer.Ordinal);
        foreach (var key in keys)
        {
            if (string.IsNullOrEmpty(key.KeyId) || !_keys.TryAdd(key.KeyId, key))
            {
                throw new ArgumentException($"Every key in the bundle of '{trustDomain}' needs a unique kid.", nameof(keys));
            }
        }
    }

    /// <summary>The trust domain these keys speak for.</summary>
    public string TrustDomain { get; }

    /// <summary>How many keys the bundle holds.</summary>
    public int Count => _keys.Count;

    /// <summary>Parses a SPIFFE bundle (a JWKS); keys marked <c>use: x509-svid</c> are skipped, the rest verify JWT-SVIDs.</summary>
    /// <exception cref="ArgumentException">The document is not a JWKS, or has no usable key.</exception>
    public static TrustBundle FromJwks(string trustDomain, string json)
    {
        JsonWebKeySet set;
        try
        {
            set = new JsonWebKeySet(json);
        }
        catch (ArgumentException ex)
        {
            throw new ArgumentException($"The bundle of '{trustDomain}' is not a JWKS document.", nameof(json), ex);
        }

        var keys = set.Keys.Where(k => string.IsNullOrEmpty(k.Use) || k.Use is "jwt-svid" or JsonWebKeyUseNames.Sig).ToList();
        if (keys.Count == 0)
        {
            throw new ArgumentException($"The bundle of '{trustDomain}' has no JWT-SVID key.", nameof(json));
        }

        if (keys.Any(k => k.HasPrivateKey))
        {
            throw new ArgumentException($"The bundle of '{trustDomain}' holds a private key; bundles carry public keys only.", nameof(json));
        }

        return new TrustBundle(trustDomain, keys);
    }

    /// <summary>The key with <paramref name="keyId"/>, or <see langword="null"/>.</summary>
    public SecurityKey? Find(string? keyId) => keyId is not null && _keys.TryGetValue(keyId, out var key) ? key : null;
}
