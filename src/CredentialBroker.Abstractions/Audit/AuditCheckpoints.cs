namespace CredentialBroker.Abstractions.Audit;

/// <summary>Which checkpoints a store lets go when it holds more than <see cref="AuditOptions.MaxCheckpoints"/>.</summary>
public static class AuditCheckpoints
{
    /// <summary>
    /// The positions (in <paramref name="checkpoints"/>, oldest first) of the checkpoints to let go so that at most
    /// <paramref name="max"/> stay: first those older than the oldest anchor (a checkpoint a chain's first retained event sits
    /// right after, which always stays), then, thinning, the one whose neighbours are closest in time. The oldest and the
    /// newest stay, so the kept ones still reach back past <see cref="AuditOptions.Retention"/> and events are trimmed
    /// behind them in time.
    /// </summary>
    public static IReadOnlyList<int> Excess(IReadOnlyList<AuditCheckpoint> checkpoints, int max, Func<AuditCheckpoint, bool> isAnchor)
    {
        ArgumentNullException.ThrowIfNull(checkpoints);
        ArgumentNullException.ThrowIfNull(isAnchor);
        var kept = Enumerable.Range(0, checkpoints.Count).ToList();
        var anchor = kept.FindIndex(i => isAnchor(checkpoints[i]));
        while (kept.Count > max && anchor > 0)
        {
            kept.RemoveAt(0);
            anchor--;
        }

        while (kept.Count > max)
        {
            var drop = -1;
            var gap = TimeSpan.MaxValue;
            for (var j = 1; j < kept.Count - 1; j++)
            {
                var around = checkpoints[kept[j + 1]].Time - checkpoints[kept[j - 1]].Time;
                if (around < gap && !isAnchor(checkpoints[kept[j]]))
                {
                    (drop, gap) = (j, around);
                }
            }

            if (drop < 0)
            {
                break;
            }

            kept.RemoveAt(drop);
        }

        return [.. Enumerable.Range(0, checkpoints.Count).Except(kept)];
    }
}
