namespace CredentialBroker.Downstream.Vault;

/// <summary>
/// Mount, role and namespace names as the broker accepts them: <c>/</c>-separated segments of
/// <c>[A-Za-z0-9_.-]</c>, none empty, none <c>.</c> or <c>..</c>, none ending in a period (Vault answers 404 to a path
/// parameter that does, per its HTTP API overview), no leading or trailing <c>/</c>. Request paths are built only from
/// names that pass, each segment escaped, so no configuration value can reach another Vault endpoint.
/// </summary>
internal static class VaultPath
{
    /// <summary>Longest name accepted; Vault's own mount paths are far shorter.</summary>
    public const int MaxLength = 256;

    public static bool IsValid(string? name)
    {
        if (string.IsNullOrEmpty(name) || name.Length > MaxLength)
        {
            return false;
        }

        foreach (var segment in name.Split('/'))
        {
            if (segment.Length == 0 || segment is "." or ".." || segment[^1] == '.')
            {
                return false;
            }

            foreach (var c in segment)
            {
                if (!char.IsAsciiLetterOrDigit(c) && c is not ('_' or '.' or '-'))
                {
                    return false;
                }
            }
        }

        return true;
    }

    /// <summary>
    /// A Vault Enterprise namespace: the same rule, with one trailing <c>/</c> allowed (Vault's docs write
    /// <c>ns1/ns2/</c>).
    /// </summary>
    public static bool IsValidNamespace(string? name) =>
        name is not null && IsValid(name.EndsWith('/') ? name[..^1] : name);

    /// <summary>Joins validated names and fixed words into a path below <c>/v1/</c>, escaping every segment.</summary>
    public static string Join(params ReadOnlySpan<string> parts)
    {
        var segments = new List<string>();
        foreach (var part in parts)
        {
            foreach (var segment in part.Split('/'))
            {
                segments.Add(Uri.EscapeDataString(segment));
            }
        }

        return string.Join('/', segments);
    }
}
