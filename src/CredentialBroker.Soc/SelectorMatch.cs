using CredentialBroker.Abstractions.Soc;
using CredentialBroker.Abstractions.Storage;

namespace CredentialBroker.Soc;

/// <summary>
/// What a selector matches in one task: the credentials it selects directly, and every credential derived from
/// them (authority derived from a killed credential dies with it), among the credentials that were live at
/// <c>asOf</c> — issued no later, not expired and not revoked before it. Deterministic for a given instant, so a
/// fan-out resumed after a crash matches what the first attempt matched.
/// </summary>
public static class SelectorMatch
{
    /// <summary>The matched credentials of <paramref name="view"/>, and the roots whose subtrees cover them.</summary>
    public static (IReadOnlyList<CredentialRecord> Matched, IReadOnlyList<CredentialRecord> Roots) InTask(RevocationSelector selector, TaskView view, DateTimeOffset asOf, bool liveOnly)
    {
        ArgumentNullException.ThrowIfNull(selector);
        ArgumentNullException.ThrowIfNull(view);
        var children = view.Credentials.Where(c => c.ParentJti is not null).ToLookup(c => c.ParentJti!, StringComparer.Ordinal);
        HashSet<string>? subtree = null;
        if (selector.DerivedFrom is { } root)
        {
            subtree = new HashSet<string>(StringComparer.Ordinal);
            Collect(view.Credentials.Where(c => c.Jti == root), children, subtree);
        }

        var direct = view.Credentials.Where(c => (subtree is null || subtree.Contains(c.Jti)) && selector.MatchesIgnoringAncestry(c, view.Task));
        var closure = new HashSet<string>(StringComparer.Ordinal);
        Collect(direct, children, closure);
        var matched = view.Credentials.Where(c => closure.Contains(c.Jti) && (!liveOnly || LiveAt(c, asOf))).ToList();
        var roots = matched.Where(c => c.ParentJti is null || !closure.Contains(c.ParentJti)).ToList();
        return (matched, roots);
    }

    /// <summary>
    /// The credentials of <paramref name="view"/> the selector reaches (directly or by derivation) that were live at any
    /// time between <paramref name="from"/> and <paramref name="until"/>: issued by <paramref name="until"/>, not expired
    /// by <paramref name="from"/>, not revoked before <paramref name="from"/>. For exposure reports: a credential minted
    /// after an incident was known counts as much as one live at notification.
    /// </summary>
    public static IReadOnlyList<CredentialRecord> InTaskDuring(RevocationSelector selector, TaskView view, DateTimeOffset from, DateTimeOffset until)
    {
        ArgumentNullException.ThrowIfNull(view);
        return [.. InTask(selector, view, until, liveOnly: false).Matched
            .Where(c => c.IssuedAt <= until && c.ExpiresAt > from && (c.RevokedAt is null || c.RevokedAt >= from))];
    }

    /// <summary>Whether a credential was live at <paramref name="asOf"/>: issued by then, not expired, not revoked before it.</summary>
    public static bool LiveAt(CredentialRecord credential, DateTimeOffset asOf)
    {
        ArgumentNullException.ThrowIfNull(credential);
        return credential.IssuedAt <= asOf && credential.ExpiresAt > asOf && (credential.RevokedAt is null || credential.RevokedAt >= asOf);
    }

    private static void Collect(IEnumerable<CredentialRecord> from, ILookup<string, CredentialRecord> children, HashSet<string> into)
    {
        var queue = new Queue<CredentialRecord>(from);
        while (queue.TryDequeue(out var credential))
        {
            if (into.Add(credential.Jti))
            {
                foreach (var child in children[credential.Jti])
                {
                    queue.Enqueue(child);
                }
            }
        }
    }
}
