using System.Globalization;
using CredentialBroker.Abstractions.Storage;

namespace CredentialBroker.Redis;

/// <summary>
/// A credential's immutable part as stored under its jti: fields separated by the unit separator (U+001F), in a fixed
/// order — kind code, parent, holder, iat, exp (unix s), audience, depth, policy rules, policy version, and for a
/// downstream secret its provider, the provider's kind and the login (never the secret; a Vault lease id, known only
/// after issue, is a mark of its own), and last, only for a key-bound credential, its binding (<c>j:</c> or <c>x:</c> and
/// the thumbprint; empty when unbound), and for a token the status list entry the recording script appends
/// (<c>&lt;list&gt;:&lt;index&gt;</c>, status.lua). Scripts read
/// the leading fields with one pattern match (no JSON decoding per credential), and the record is a third of its JSON
/// size. No field may contain the separator: every value comes from validated input (SPIFFE IDs, destinations,
/// rule ids), and the encoder refuses one that does rather than corrupt a record.
/// </summary>
internal static class CredentialCodec
{
    public const char Separator = '\u001f';

    public static string Encode(CredentialRecord credential)
    {
        ArgumentNullException.ThrowIfNull(credential);
        string[] fields =
        [
            KindCode(credential.Kind),
            credential.ParentJti ?? string.Empty,
            credential.Holder,
            credential.IssuedAt.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture),
            credential.ExpiresAt.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture),
            credential.Audience ?? string.Empty,
            credential.Depth.ToString(CultureInfo.InvariantCulture),
            credential.Policy?.Rules ?? string.Empty,
            credential.Policy?.Version ?? string.Empty,
            credential.Secret?.Provider ?? string.Empty,
            credential.Secret?.ProviderKind ?? string.Empty,
            credential.Secret?.Username ?? string.Empty,
            credential.Binding is { } binding ? (binding.Kind == KeyBindingKind.Jkt ? "j:" : "x:") + binding.Thumbprint : string.Empty,
        ];
        foreach (var field in fields)
        {
            if (field.Contains(Separator, StringComparison.Ordinal))
            {
                throw new ArgumentException($"Credential {credential.Jti} has a field with a control character; it cannot be recorded.", nameof(credential));
            }
        }

        return string.Join(Separator, fields);
    }

    /// <summary>The immutable part of a credential; revocation and downstream marks are added by the caller.</summary>
    public static CredentialRecord Decode(string taskId, string jti, string value, string? leaseId = null)
    {
        var fields = value.Split(Separator);
        if (fields.Length < 9)
        {
            throw new InvalidDataException($"Credential {jti} of task {taskId} is not a credential record.");
        }

        return new CredentialRecord(
            jti,
            taskId,
            KindOf(fields[0], jti),
            Optional(fields[1]),
            fields[2],
            DateTimeOffset.FromUnixTimeSeconds(long.Parse(fields[3], CultureInfo.InvariantCulture)),
            DateTimeOffset.FromUnixTimeSeconds(long.Parse(fields[4], CultureInfo.InvariantCulture)),
            Audience: Optional(fields[5]),
            Depth: int.Parse(fields[6], CultureInfo.InvariantCulture),
            Policy: fields[7].Length == 0 ? null : new PolicyReference(fields[7], fields[8]),
            Secret: fields.Length >= 12 && fields[9].Length > 0 ? new SecretReference(fields[9], fields[10], Optional(fields[11]), leaseId) : null,
            Binding: fields.Length >= 13 && fields[12].Length > 0 ? BindingOf(fields[12], jti) : null)
        {
            Status = fields.Length >= 14 ? StatusOf(fields[13], jti) : null,
        };
    }

    /// <summary>A status list entry as the recording scripts write it: <c>&lt;list&gt;:&lt;index&gt;</c>; <see langword="null"/> for an empty one.</summary>
    public static StatusListEntry? StatusOf(string field, string jti)
    {
        if (field.Length == 0)
        {
            return null;
        }

        var colon = field.LastIndexOf(':');
        return colon > 0 && int.TryParse(field.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var index)
            ? new StatusListEntry(field[..colon], index)
            : throw new InvalidDataException($"Credential {jti} has the unknown status list entry '{field}'.");
    }

    private static KeyBinding BindingOf(string field, string jti) => field.Length > 2 && field[1] == ':' && field[0] is 'j' or 'x'
        ? new KeyBinding(field[0] == 'j' ? KeyBindingKind.Jkt : KeyBindingKind.X5tS256, field[2..])
        : throw new InvalidDataException($"Credential {jti} has the unknown binding '{field}'.");

    /// <summary>The one-letter code of a kind, as scripts match it.</summary>
    public static string KindCode(CredentialKind kind) => kind switch
    {
        CredentialKind.Task => "t",
        CredentialKind.Delegated => "d",
        CredentialKind.AccessToken => "a",
        CredentialKind.Secret => "s",
        CredentialKind.TxnToken => "x",
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    private static CredentialKind KindOf(string code, string jti) => code switch
    {
        "t" => CredentialKind.Task,
        "d" => CredentialKind.Delegated,
        "a" => CredentialKind.AccessToken,
        "s" => CredentialKind.Secret,
        "x" => CredentialKind.TxnToken,
        _ => throw new InvalidDataException($"Credential {jti} has the unknown kind code '{code}'."),
    };

    private static string? Optional(string field) => field.Length == 0 ? null : field;
}
