namespace CredentialBroker.Downstream.RedisAcl;

/// <summary>
/// The ACL rules an issued Redis user gets: the configured ones, checked token by token against an allow-list
/// (access to keys, channels and commands only; nothing that touches identity or passwords), followed by rules the
/// broker always adds.
/// </summary>
internal static class RedisAclRules
{
    /// <summary>
    /// Added after the configured rules, in this order. <c>+@connection</c> lets the user authenticate and run the
    /// connection housekeeping every client needs (API.md). The removals keep a user, whatever categories it was
    /// given (<c>allcommands</c>, <c>+@admin</c>, <c>+@dangerous</c>), from changing users or the server's
    /// authentication (ACL, CONFIG), loading code (MODULE, DEBUG), making the node a replica of a server it controls
    /// (REPLICAOF, SLAVEOF, CLUSTER MEET and REPLICATE, FAILOVER: a primary's replication stream runs unchecked by
    /// ACLs, ACL SETUSER included) or reading the whole dataset past its key patterns as a replica would (SYNC,
    /// PSYNC), or stalling its own revocation by killing or pausing other connections (CLIENT KILL, CLIENT PAUSE;
    /// both are in <c>@connection</c>) or by a script that never ends (a Lua script or function that has written
    /// cannot be killed, and the server answers BUSY to the revocation until it is shut down).
    /// </summary>
    public static readonly IReadOnlyList<string> Always =
    [
        "+@connection", "-acl", "-config", "-module", "-debug", "-client|kill", "-client|pause",
        "-replicaof", "-slaveof", "-cluster|meet", "-cluster|replicate", "-failover", "-sync", "-psync", "-@scripting",
    ];

    private static readonly string[] Keywords = ["resetkeys", "resetchannels", "allkeys", "allchannels", "allcommands", "nocommands"];
    private static readonly string[] IdentityKeywords = ["on", "off", "nopass", "resetpass", "reset"];
    private static readonly string[] Guarded =
    [
        "acl", "config", "module", "debug", "client|kill", "client|pause",
        "replicaof", "slaveof", "cluster|meet", "cluster|replicate", "failover", "sync", "psync", "@scripting",
        "eval", "evalsha", "eval_ro", "evalsha_ro", "fcall", "fcall_ro", "function", "script",
    ];

    /// <summary>The configured rules as tokens (split on spaces).</summary>
    public static string[] Tokens(string acl) => acl.Split(' ', StringSplitOptions.RemoveEmptyEntries);

    /// <summary>Everything wrong with <paramref name="acl"/>, each as the end of a sentence about the setting; empty when it is usable.</summary>
    public static List<string> Problems(string? acl)
    {
        if (string.IsNullOrWhiteSpace(acl))
        {
            return ["is required for kind redis: the ACL rules of issued users, e.g. \"~app:* +@read\"."];
        }

        if (acl.AsSpan().IndexOfAny('\r', '\n', '\0') >= 0)
        {
            return ["must not contain CR, LF or NUL."];
        }

        var problems = new List<string>();
        foreach (var token in Tokens(acl))
        {
            if (Problem(token) is { } problem)
            {
                problems.Add(problem);
            }
        }

        return problems;
    }

    private static string? Problem(string token)
    {
        if (token.Any(char.IsControl))
        {
            return "must not contain control characters (rules are separated by single spaces).";
        }

        if (token[0] is '>' or '<' or '#' or '!')
        {
            // Not echoed: it may be a password.
            return $"must not set or remove passwords ('{token[0]}…' rules): the broker gives each user its own generated password.";
        }

        if (IdentityKeywords.Contains(token, StringComparer.OrdinalIgnoreCase))
        {
            return $"must not contain '{token}': it changes the user's state or password, which the broker sets itself.";
        }

        if (Keywords.Contains(token, StringComparer.OrdinalIgnoreCase))
        {
            return null;
        }

        var ok = token[0] switch
        {
            '~' or '&' => token.Length > 1,
            '%' => IsSelectivePattern(token),
            '+' or '-' => IsCommandRule(token.AsSpan(1)),
            _ => false,
        };
        if (!ok)
        {
            return $"has '{Shown(token)}', which is not a rule the broker accepts. Allowed: key patterns (~…, %R~…, %W~…, %RW~…), channel patterns (&…), "
                + "resetkeys, resetchannels, allkeys, allchannels, allcommands, nocommands, and +/- command, command|subcommand or @category rules.";
        }

        if (token[0] == '+' && Guarded.Any(g => token.AsSpan(1).Equals(g, StringComparison.OrdinalIgnoreCase)
                                               || token.AsSpan(1).StartsWith(g + "|", StringComparison.OrdinalIgnoreCase)))
        {
            return $"must not grant '{token[1..]}': issued users may never change users, the server's authentication, replication or other connections, nor run scripts that could stall their revocation (the broker always adds {string.Join(' ', Always.Skip(1))}).";
        }

        return null;
    }

    private static bool IsSelectivePattern(string token)
    {
        var tilde = token.IndexOf('~', StringComparison.Ordinal);
        return tilde > 1 && tilde < token.Length - 1
            && token.AsSpan(1, tilde - 1) is var flags
            && (flags.Equals("R", StringComparison.OrdinalIgnoreCase) || flags.Equals("W", StringComparison.OrdinalIgnoreCase)
                || flags.Equals("RW", StringComparison.OrdinalIgnoreCase));
    }

    private static bool IsCommandRule(ReadOnlySpan<char> rule)
    {
        if (rule.StartsWith("@"))
        {
            rule = rule[1..];
            return rule.Length > 0 && !rule.ContainsAnyExcept(CategoryChars);
        }

        var bar = rule.IndexOf('|');
        return bar < 0
            ? IsName(rule)
            : IsName(rule[..bar]) && IsName(rule[(bar + 1)..]);
    }

    private static bool IsName(ReadOnlySpan<char> name) => name.Length > 0 && !name.ContainsAnyExcept(NameChars);

    private static readonly System.Buffers.SearchValues<char> NameChars =
        System.Buffers.SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-");

    private static readonly System.Buffers.SearchValues<char> CategoryChars =
        System.Buffers.SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-");

    private static string Shown(string token) => token.Length <= 40 ? token : token[..40] + "…";
}
