using System.Security.Cryptography;
using Microsoft.IdentityModel.Tokens;

namespace CredentialBroker.Core.Issuance;

/// <summary>Random identifiers with 128 bits of entropy: unguessable, and safe in Redis keys and URLs.</summary>
public static class Identifiers
{
    /// <summary>A new task id, <c>tsk_</c> followed by 22 base64url characters.</summary>
    public static string NewTaskId() => "tsk_" + Random128();

    /// <summary>A new bulk revocation id, <c>rev_</c> followed by 22 base64url characters.</summary>
    public static string NewRevocationId() => "rev_" + Random128();

    /// <summary>A new incident id, <c>inc_</c> followed by 22 base64url characters.</summary>
    public static string NewIncidentId() => "inc_" + Random128();

    /// <summary>A new credential id (<c>jti</c>), 22 base64url characters.</summary>
    public static string NewJti() => Random128();

    private static string Random128()
    {
        Span<byte> bytes = stackalloc byte[16];
        RandomNumberGenerator.Fill(bytes);
        return Base64UrlEncoder.Encode(bytes.ToArray());
    }
}
