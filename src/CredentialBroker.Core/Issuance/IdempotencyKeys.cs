using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.IdentityModel.Tokens;

namespace CredentialBroker.Core.Issuance;

/// <summary>
/// Scopes <c>Idempotency-Key</c> values to the caller (two orchestrators never collide) and hashes
/// requests so a retry can be told from a reuse of the key for a different request.
/// </summary>
public static class IdempotencyKeys
{
    /// <summary>The longest <c>Idempotency-Key</c> accepted.</summary>
    public const int MaxLength = 255;

    /// <summary>The storage key for <paramref name="key"/> as used by <paramref name="caller"/>: a SHA-256, so any key text is safe to store.</summary>
    public static string Scope(string caller, string key) => Hash(caller + "\n" + key);

    /// <summary>A hash of the normalised request.</summary>
    public static string HashRequest(TaskDraft draft) =>
        Hash(JsonSerializer.Serialize(draft, CoreJsonContext.Default.TaskDraft));

    private static string Hash(string text) => Base64UrlEncoder.Encode(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
}
