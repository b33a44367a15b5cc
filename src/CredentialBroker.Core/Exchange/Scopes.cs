using System.Diagnostics.CodeAnalysis;
using CredentialBroker.Abstractions.Tasks;
using CredentialBroker.Core.Tasks;

namespace CredentialBroker.Core.Exchange;

/// <summary>
/// OAuth scopes over a task's grants: one scope token <c>tool:action</c> per action a grant allows. A scope
/// request can only narrow: every token asked for must already be granted.
/// </summary>
public static class Scopes
{
    /// <summary>The space-separated scope of <paramref name="grants"/>.</summary>
    public static string Format(IReadOnlyList<AuthorizationGrant> grants)
    {
        ArgumentNullException.ThrowIfNull(grants);
        return string.Join(' ', grants.SelectMany(g => g.Actions.Select(a => $"{g.Tool}:{a}")).Distinct(StringComparer.Ordinal));
    }

    /// <summary>Parses an RFC 6749 §3.3 scope parameter (scope tokens separated by single spaces).</summary>
    public static bool TryParse(string? value, [NotNullWhen(true)] out IReadOnlySet<string>? scopes)
    {
        scopes = null;
        if (string.IsNullOrEmpty(value))
        {
            return false;
        }

        var tokens = value.Split(' ');
        if (tokens.Any(t => t.Length == 0 || !t.All(c => c is '\x21' or (>= '\x23' and <= '\x5B') or (>= '\x5D' and <= '\x7E'))))
        {
            return false;
        }

        scopes = tokens.ToHashSet(StringComparer.Ordinal);
        return true;
    }

    /// <summary>
    /// The grants narrowed to <paramref name="requested"/>, or <see langword="null"/> when a requested scope token
    /// is not granted (a request for more than the subject holds).
    /// </summary>
    public static IReadOnlyList<AuthorizationGrant>? Narrow(IReadOnlyList<AuthorizationGrant> grants, IReadOnlySet<string> requested)
    {
        ArgumentNullException.ThrowIfNull(grants);
        ArgumentNullException.ThrowIfNull(requested);
        var granted = grants.SelectMany(g => g.Actions.Select(a => $"{g.Tool}:{a}")).ToHashSet(StringComparer.Ordinal);
        if (!requested.IsSubsetOf(granted))
        {
            return null;
        }

        return [.. grants
            .Select(g => g with { Actions = [.. g.Actions.Where(a => requested.Contains($"{g.Tool}:{a}"))] })
            .Where(g => g.Actions.Count > 0)];
    }
}
