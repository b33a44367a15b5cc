using Microsoft.IdentityModel.Tokens;

namespace CredentialBroker.Core.Tokens;

/// <summary>
/// The broker's signing keys and their schedule. A key signs from its <see cref="SigningKey.NotBefore"/> until the
/// next key's; it is published in the JWKS <see cref="PublishLead"/> before it signs anything, so resource servers
/// know it in advance, and stays published until every token it can have signed has expired
/// (<see cref="RetireAfter"/> after the next key took over), so a rotation never rejects a valid token. Any published
/// key verifies: a replica whose clock runs a little ahead may sign with the next key a moment early.
/// Keys without a <see cref="SigningKey.NotBefore"/> sign from the start; among them the first listed signs and the
/// others are earlier keys kept for verification until a scheduled key has taken over for <see cref="RetireAfter"/>.
/// </summary>
public sealed class SigningKeyRing
{
    private readonly SigningKey[] _keys;
    private readonly SigningKey[] _listed;
    private readonly Dictionary<string, SigningKey> _byKeyId;

    /// <summary>Creates a ring.</summary>
    /// <param name="keys">The keys; their ids must be unique and scheduled keys need distinct start times. Unscheduled keys are taken in order, the first signing.</param>
    /// <param name="publishLead">How long before it signs a key is published.</param>
    /// <param name="retireAfter">How long after it stops signing a key stays published: the longest token lifetime plus clock skew.</param>
    public SigningKeyRing(IReadOnlyList<SigningKey> keys, TimeSpan publishLead, TimeSpan retireAfter)
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

        _listed = [.. keys];

        // Unscheduled keys first, the one that signs last among them; then scheduled keys in start order.
        _keys = [.. keys.Where(k => k.NotBefore is null).Reverse(), .. keys.Where(k => k.NotBefore is not null).OrderBy(k => k.NotBefore)];
        if (_keys.Skip(1).Zip(_keys).Any(pair => pair.First.NotBefore is not null && pair.First.NotBefore == pair.Second.NotBefore))
        {
            throw new ArgumentException("Two signing keys start signing at the same time; give each a distinct NotBefore.", nameof(keys));
        }

        PublishLead = publishLead;
        RetireAfter = retireAfter;
    }

    /// <summary>A ring of one key that signs from the start (development mode, tests).</summary>
    public SigningKeyRing(SigningKey key)
        : this([key], TimeSpan.Zero, TimeSpan.Zero)
    {
    }

    /// <summary>How long before it signs a key is published.</summary>
    public TimeSpan PublishLead { get; }

    /// <summary>How long after it stops signing a key stays published.</summary>
    public TimeSpan RetireAfter { get; }

    /// <summary>The earliest time at which some key signs.</summary>
    public DateTimeOffset FirstSigningAt => _keys[0].NotBefore ?? DateTimeOffset.MinValue;

    /// <summary>The key that signs at <paramref name="now"/>: the latest one whose <see cref="SigningKey.NotBefore"/> has come.</summary>
    /// <exception cref="InvalidOperationException">No key signs yet.</exception>
    public SigningKey ActiveAt(DateTimeOffset now) =>
        _keys.LastOrDefault(k => (k.NotBefore ?? DateTimeOffset.MinValue) <= now)
        ?? throw new InvalidOperationException($"No signing key is active before {FirstSigningAt:O}.");

    /// <summary>The public keys published at <paramref name="now"/>, in configured order, as served at <c>/.well-known/jwks.json</c>.</summary>
    public IReadOnlyList<JsonWebKey> PublishedAt(DateTimeOffset now) => [.. Published(now).Select(k => k.PublicJwk)];

    /// <summary>The verification key for <paramref name="keyId"/> if that key is published at <paramref name="now"/>. The id is an opaque lookup key.</summary>
    public SecurityKey? FindVerificationKey(string? keyId, DateTimeOffset now) =>
        keyId is not null && _byKeyId.TryGetValue(keyId, out var key) && IsPublished(key, now) ? key.VerificationKey : null;

    /// <summary>
    /// The verification key for <paramref name="keyId"/> if the ring holds it at all, published or retired: for records the
    /// broker keeps longer than its tokens live (signed audit checkpoints), never for tokens.
    /// </summary>
    public SecurityKey? FindConfiguredKey(string? keyId) =>
        keyId is not null && _byKeyId.TryGetValue(keyId, out var key) ? key.VerificationKey : null;

    private IEnumerable<SigningKey> Published(DateTimeOffset now) => _listed.Where(k => IsPublished(k, now));

    private bool IsPublished(SigningKey key, DateTimeOffset now)
    {
        if (key.NotBefore is { } signsFrom && signsFrom > now + PublishLead)
        {
            return false;
        }

        // Superseded keys stay until every token they signed has expired; the successor is the next scheduled key.
        var successor = _keys.Skip(Array.IndexOf(_keys, key) + 1).FirstOrDefault(k => k.NotBefore is not null);
        return successor is null || successor.NotBefore!.Value + RetireAfter > now;
    }
}
