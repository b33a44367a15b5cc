using CredentialBroker.Abstractions.Audit;

namespace CredentialBroker.Core.Audit;

/// <summary>
/// Recomputes the boundary log's chains and names the first event that is altered (its hash or link does not recompute,
/// or it disagrees with a signed checkpoint), missing (a position is absent, or the chain ends short of its head or of a
/// checkpoint) or reordered (a position appears out of order). Checkpoints must verify with the broker's published keys.
/// </summary>
public sealed class AuditVerifier(IAuditLog log, AuditCheckpointSigner signer)
{
    private const int Page = 1000;

    /// <summary>
    /// Verifies every chain from its first retained event (<paramref name="fromSeq"/> <see langword="null"/>), from a position
    /// (of chain <paramref name="chain"/>, 0 by default), or from the latest checkpoint (<paramref name="fromCheckpoint"/>).
    /// </summary>
    public async ValueTask<AuditVerification> VerifyAsync(long? fromSeq, bool fromCheckpoint, int? chain, CancellationToken cancellationToken)
    {
        var checkpoints = await log.CheckpointsAsync(cancellationToken);
        foreach (var checkpoint in checkpoints)
        {
            if (!await signer.VerifyAsync(checkpoint))
            {
                var head = checkpoint.Heads.Count > 0 ? checkpoint.Heads[0] : null;
                return new AuditVerification(false, 0, head?.Seq, head?.Chain, "altered", $"Checkpoint {checkpoint.Seq} does not verify with the broker's published keys.", checkpoints.Count);
            }
        }

        var heads = await log.HeadsAsync(cancellationToken);
        long events = 0;

        // A chain a checkpoint signed must still have a head: deleting a chain's list and head together is not an empty chain.
        foreach (var signedHead in checkpoints.SelectMany(cp => cp.Heads).Where(h => h.Seq > 0 && (chain is null || h.Chain == chain)))
        {
            if (!heads.Any(h => h.Chain == signedHead.Chain))
            {
                return new AuditVerification(false, 0, 1, signedHead.Chain, "missing",
                    $"A checkpoint signed chain {signedHead.Chain} up to {signedHead.Seq}, but the chain has no head and no events.", checkpoints.Count);
            }
        }

        foreach (var head in heads.Where(h => chain is null || h.Chain == chain))
        {
            long? start = fromSeq is { } s && head.Chain == (chain ?? 0) ? s : null;
            if (fromCheckpoint && checkpoints.Count > 0 && checkpoints[^1].Heads.FirstOrDefault(h => h.Chain == head.Chain) is { } anchor)
            {
                start = anchor.Seq;
            }

            var result = await VerifyChainAsync(head, start, checkpoints, cancellationToken);
            if (!result.Verified)
            {
                return result with { Checkpoints = checkpoints.Count };
            }

            events += result.Events;
        }

        return new AuditVerification(true, events, Checkpoints: checkpoints.Count);
    }

    private async ValueTask<AuditVerification> VerifyChainAsync(AuditHead head, long? start, IReadOnlyList<AuditCheckpoint> checkpoints, CancellationToken cancellationToken)
    {
        var c = head.Chain;
        var signed = checkpoints.SelectMany(cp => cp.Heads.Where(h => h.Chain == c).Select(h => (cp.Seq, Head: h))).ToList();
        if (signed.FirstOrDefault(s => s.Head.Seq > head.Seq) is { Head: not null } beyond)
        {
            return Bad(c, head.Seq + 1, "missing", $"Checkpoint {beyond.Seq} signed chain {c} up to {beyond.Head.Seq}, but the chain ends at {head.Seq}.");
        }

        var bySeq = signed.GroupBy(s => s.Head.Seq).ToDictionary(g => g.Key, g => g.First());
        var events = new List<AuditEntry>();
        for (var after = Math.Max(0, (start ?? 1) - 1); ;)
        {
            var page = await log.ReadAsync(c, after, Page, cancellationToken);
            events.AddRange(page);
            if (page.Count < Page)
            {
                break;
            }

            after = page[^1].Seq > after ? page[^1].Seq : after + Page;
        }

        if (events.Count == 0)
        {
            return Bad(c, Math.Max(1, start ?? 1), "missing", $"Chain {c}'s head is at {head.Seq}, but the log holds none of its events.");
        }

        // The anchor: the genesis link for event 1, a checkpoint's head just before the first event (events are trimmed only
        // behind one, and it is kept), or else, from a position asked for, the first event's own link, taken as given.
        var expected = events[0].Seq;
        if (start is null && expected > 1 && !bySeq.ContainsKey(expected - 1))
        {
            var gone = signed.Where(s => s.Head.Seq < expected).Select(s => s.Head.Seq + 1).DefaultIfEmpty(1).Max();
            return Bad(c, gone, "missing", $"Chain {c} starts at event {expected}, but no checkpoint signed event {expected - 1}: the events before it are gone.");
        }

        var prev = expected == 1 && start is null ? AuditHash.Genesis : bySeq.TryGetValue(expected - 1, out var anchor) ? anchor.Head.Hash : events[0].Prev;
        for (var i = 0; i < events.Count; i++)
        {
            var e = events[i];
            if (e.Chain != c || e.Seq < 0)
            {
                return Bad(c, expected, "altered", $"The entry at position {expected} of chain {c} is not an event of this chain.");
            }

            if (e.Seq != expected)
            {
                var later = events.Skip(i + 1).Any(x => x.Seq == expected);
                return e.Seq < expected || later
                    ? Bad(c, Math.Min(e.Seq, expected), "reordered", $"Position {expected} of chain {c} holds event {e.Seq}.")
                    : Bad(c, expected, "missing", $"Event {expected} of chain {c} is gone (the next one held is {e.Seq}).");
            }

            if (!string.Equals(e.Prev, prev, StringComparison.Ordinal))
            {
                return Bad(c, i == 0 ? e.Seq : e.Seq - 1, "altered", $"Event {e.Seq} of chain {c} does not link to the event before it.");
            }

            if (!string.Equals(AuditHash.Link(c, e.Seq, e.Prev, e.Body), e.Hash, StringComparison.Ordinal))
            {
                return Bad(c, e.Seq, "altered", $"Event {e.Seq} of chain {c} does not hash to what it says.");
            }

            if (bySeq.TryGetValue(e.Seq, out var checkpoint) && !string.Equals(checkpoint.Head.Hash, e.Hash, StringComparison.Ordinal))
            {
                return Bad(c, e.Seq, "altered", $"Event {e.Seq} of chain {c} differs from what checkpoint {checkpoint.Seq} signed.");
            }

            prev = e.Hash;
            expected++;
        }

        if (expected - 1 != head.Seq || !string.Equals(prev, head.Hash, StringComparison.Ordinal))
        {
            return expected - 1 < head.Seq
                ? Bad(c, expected, "missing", $"Chain {c}'s head is at {head.Seq}, but its events end at {expected - 1}.")
                : Bad(c, head.Seq, "altered", $"Chain {c}'s head does not match its last event.");
        }

        return new AuditVerification(true, events.Count);
    }

    private static AuditVerification Bad(int chain, long seq, string reason, string detail) => new(false, 0, seq, chain, reason, detail);
}
