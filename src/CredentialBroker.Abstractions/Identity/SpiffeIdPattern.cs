using System.Diagnostics.CodeAnalysis;

namespace CredentialBroker.Abstractions.Identity;

/// <summary>
/// Matches SPIFFE IDs: a pattern ending in <c>/</c> is a path prefix
/// (<c>spiffe://corp.example/agents/</c> matches every agent below it); any other pattern is one exact ID.
/// </summary>
public sealed class SpiffeIdPattern
{
    private SpiffeIdPattern(string pattern, bool isPrefix)
    {
        Pattern = pattern;
        IsPrefix = isPrefix;
    }

    /// <summary>The pattern as written.</summary>
    public string Pattern { get; }

    /// <summary>Whether the pattern is a path prefix rather than one exact ID.</summary>
    public bool IsPrefix { get; }

    /// <summary>Parses a pattern: a valid SPIFFE ID, or a valid SPIFFE ID followed by <c>/</c>, or a trust domain followed by <c>/</c>.</summary>
    public static bool TryParse([NotNullWhen(true)] string? pattern, [NotNullWhen(true)] out SpiffeIdPattern? result, [NotNullWhen(false)] out string? error)
    {
        result = null;
        if (pattern is null || !pattern.EndsWith('/'))
        {
            if (!SpiffeId.TryParse(pattern, out _, out error))
            {
                return false;
            }

            result = new SpiffeIdPattern(pattern!, isPrefix: false);
            return true;
        }

        var trimmed = pattern[..^1];
        const string scheme = "spiffe://";
        var isTrustDomainOnly = trimmed.StartsWith(scheme, StringComparison.Ordinal) && trimmed.IndexOf('/', scheme.Length) < 0;
        if (isTrustDomainOnly
                ? !SpiffeId.IsValidTrustDomain(trimmed.AsSpan(scheme.Length), out error)
                : !SpiffeId.TryParse(trimmed, out _, out error))
        {
            return false;
        }

        result = new SpiffeIdPattern(pattern, isPrefix: true);
        return true;
    }

    /// <summary>Whether <paramref name="id"/> matches this pattern.</summary>
    public bool Matches(SpiffeId id)
    {
        ArgumentNullException.ThrowIfNull(id);
        return Matches(Pattern, id.Value);
    }

    /// <summary>Whether the SPIFFE ID <paramref name="id"/> matches the (already validated) pattern <paramref name="pattern"/>.</summary>
    public static bool Matches(string pattern, string id)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        ArgumentNullException.ThrowIfNull(id);
        return pattern.EndsWith('/') ? id.StartsWith(pattern, StringComparison.Ordinal) : string.Equals(id, pattern, StringComparison.Ordinal);
    }

    /// <inheritdoc />
    public override string ToString() => Pattern;
}
