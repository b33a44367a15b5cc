using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace CredentialBroker.Abstractions.Audit;

/// <summary>
/// How events are chained. An event's hash is <c>SHA-1(chain "\n" seq "\n" prev "\n" SHA-256(body))</c>, in lowercase
/// hex: the body is bound by SHA-256, and the link by the one hash Redis computes inside the script that appends the
/// event (SHA-1 there sees only SHA-256 outputs and counters, which leaves no room for a chosen-prefix collision).
/// Anyone holding the log can recompute every hash; what anchors it is the broker's ES256 signature on checkpoints.
/// </summary>
public static class AuditHash
{
    /// <summary>The <c>prev</c> of a chain's first event.</summary>
    public const string Genesis = "0000000000000000000000000000000000000000";

    /// <summary>The SHA-256 of <paramref name="body"/>'s UTF-8 bytes, lowercase hex.</summary>
    public static string Digest(string body)
    {
        ArgumentNullException.ThrowIfNull(body);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(body)));
    }

    /// <summary>The hash of the event at <paramref name="seq"/> of <paramref name="chain"/> after <paramref name="prev"/>.</summary>
    public static string Link(int chain, long seq, string prev, string body)
    {
        var input = string.Create(CultureInfo.InvariantCulture, $"{chain}\n{seq}\n{prev}\n{Digest(body)}");
#pragma warning disable CA5350 // SHA-1 links SHA-256 digests only, because it is the hash Redis's scripting offers (see the type's remarks).
        return Convert.ToHexStringLower(SHA1.HashData(Encoding.UTF8.GetBytes(input)));
#pragma warning restore CA5350
    }
}
