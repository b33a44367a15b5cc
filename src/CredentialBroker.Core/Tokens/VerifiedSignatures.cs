using System.Buffers;
using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using Microsoft.IdentityModel.Tokens;

namespace CredentialBroker.Core.Tokens;

/// <summary>
/// Remembers which exact compact JWS was verified with which key object, until the token's <c>exp</c>: a workload presents the
/// same JWT-SVID and the same task token on request after request, and an ES256 verification is the dearest step of
/// validating them. Only the signature check is remembered — a pure function of the token's bytes and the key — so every other
/// check (shape, <c>typ</c>, algorithm, the key still being published, issuer, audience, lifetime) still runs on every call. The
/// entry is keyed by the SHA-256 of the whole token (a token differing in one bit, its signature included, is a different
/// entry) and by the key object itself (a rotated or retired key resolves to another object or to none). Tokens are not kept,
/// only their digests. Bounded: past <see cref="Capacity"/> entries, expired ones are dropped, and if that is not enough, all.
/// </summary>
internal static class VerifiedSignatures
{
    /// <summary>The most entries kept (about 100 bytes each).</summary>
    internal const int Capacity = 50_000;

    private static readonly ConcurrentDictionary<Entry, long> Expiries = new();

    /// <summary>The token's digest, computed once per validation for <see cref="Contains"/> and <see cref="Add"/>.</summary>
    internal static Digest DigestOf(string token) => Digest.Of(token);

    /// <summary>Whether the token of <paramref name="token"/>'s digest was verified with <paramref name="key"/> and its <c>exp</c> (unix s) is not past at <paramref name="nowSeconds"/>.</summary>
    internal static bool Contains(Digest token, SecurityKey key, long nowSeconds) =>
        Expiries.TryGetValue(new Entry(token, key), out var expires) && nowSeconds <= expires;

    /// <summary>Remembers that the token of <paramref name="token"/>'s digest verified with <paramref name="key"/>, until <paramref name="expiresSeconds"/> (unix s).</summary>
    internal static void Add(Digest token, SecurityKey key, long expiresSeconds, long nowSeconds)
    {
        if (Expiries.Count >= Capacity)
        {
            foreach (var (entry, expires) in Expiries)
            {
                if (expires < nowSeconds)
                {
                    Expiries.TryRemove(entry, out _);
                }
            }

            if (Expiries.Count >= Capacity)
            {
                Expiries.Clear();
            }
        }

        Expiries[new Entry(token, key)] = expiresSeconds;
    }

    private readonly record struct Entry(Digest Token, SecurityKey Key);

    [StructLayout(LayoutKind.Sequential)]
    internal readonly record struct Digest(ulong A, ulong B, ulong C, ulong D)
    {
        public static Digest Of(string token)
        {
            var length = Encoding.UTF8.GetMaxByteCount(token.Length);
            var rented = length <= 4096 ? null : ArrayPool<byte>.Shared.Rent(length);
            try
            {
                Span<byte> bytes = rented ?? stackalloc byte[4096];
                var written = Encoding.UTF8.GetBytes(token, bytes);
                Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
                SHA256.HashData(bytes[..written], hash);
                var words = MemoryMarshal.Cast<byte, ulong>(hash);
                return new Digest(words[0], words[1], words[2], words[3]);
            }
            finally
            {
                if (rented is not null)
                {
                    ArrayPool<byte>.Shared.Return(rented);
                }
            }
        }
    }
}
