using CredentialBroker.Abstractions.Audit;

namespace CredentialBroker.EmbeddedStore;

/// <summary>The boundary log of the embedded store: one chain in process memory, gone on restart like everything else here.</summary>
public sealed partial class InMemoryCredentialStore
{
    private readonly Lock _auditLock = new();
    private readonly List<AuditEntry> _auditEntries = [];
    private readonly Dictionary<string, List<long>> _auditByTask = new(StringComparer.Ordinal);
    private readonly List<AuditCheckpoint> _checkpoints = [];
    private long _auditSeq;
    private string _auditHead = AuditHash.Genesis;

    /// <inheritdoc />
    public int Chains => 1;

    /// <inheritdoc />
    public int ChainOf(string? taskId) => 0;

    /// <inheritdoc />
    public ValueTask<AuditEntry> AppendAsync(AuditEvent audit, CancellationToken cancellationToken) => ValueTask.FromResult(Append(audit, audit?.TaskId));

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<AuditEntry>> ReadAsync(int chain, long afterSeq, int limit, CancellationToken cancellationToken)
    {
        lock (_auditLock)
        {
            return ValueTask.FromResult<IReadOnlyList<AuditEntry>>(chain != 0 ? [] : [.. _auditEntries.Where(e => e.Seq > afterSeq).Take(Math.Max(0, limit))]);
        }
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<AuditHead>> HeadsAsync(CancellationToken cancellationToken)
    {
        lock (_auditLock)
        {
            return ValueTask.FromResult<IReadOnlyList<AuditHead>>(_auditSeq == 0 ? [] : [new AuditHead(0, _auditSeq, _auditHead)]);
        }
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<AuditEntry>> TaskEventsAsync(string taskId, CancellationToken cancellationToken)
    {
        lock (_auditLock)
        {
            if (!_auditByTask.TryGetValue(taskId, out var positions) || _auditEntries.Count == 0)
            {
                return ValueTask.FromResult<IReadOnlyList<AuditEntry>>([]);
            }

            var first = _auditEntries[0].Seq;
            return ValueTask.FromResult<IReadOnlyList<AuditEntry>>([.. positions.Where(p => p >= first).Select(p => _auditEntries[(int)(p - first)])]);
        }
    }

    /// <inheritdoc />
    public ValueTask AddCheckpointAsync(AuditCheckpoint checkpoint, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        lock (_auditLock)
        {
            _checkpoints.Add(checkpoint);
            if (_checkpoints.Count > _maxCheckpoints)
            {
                // Never the one the first retained event sits right after (it anchors the chain).
                var first = _auditEntries.Count > 0 ? _auditEntries[0].Seq : 0;
                var dropped = AuditCheckpoints.Excess(_checkpoints, _maxCheckpoints, c => c.Heads.Any(h => h.Chain == 0 && h.Seq + 1 == first)).Select(i => _checkpoints[i]).ToList();
                _checkpoints.RemoveAll(dropped.Contains);
            }
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask<AuditCheckpoint?> LastCheckpointAsync(CancellationToken cancellationToken)
    {
        lock (_auditLock)
        {
            return ValueTask.FromResult(_checkpoints.Count == 0 ? null : _checkpoints[^1]);
        }
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<AuditCheckpoint>> CheckpointsAsync(CancellationToken cancellationToken)
    {
        lock (_auditLock)
        {
            return ValueTask.FromResult<IReadOnlyList<AuditCheckpoint>>([.. _checkpoints]);
        }
    }

    /// <inheritdoc />
    public ValueTask<long> TrimAsync(int chain, long throughSeq, CancellationToken cancellationToken)
    {
        lock (_auditLock)
        {
            var count = chain != 0 ? 0 : _auditEntries.TakeWhile(e => e.Seq <= throughSeq).Count();
            _auditEntries.RemoveRange(0, count);
            return ValueTask.FromResult((long)count);
        }
    }

    // A forgotten task's events stay in the chain; only the index that finds them by task goes.
    private void ForgetAuditIndex(string taskId)
    {
        lock (_auditLock)
        {
            _auditByTask.Remove(taskId);
        }
    }

    // Called inside the lock of the task the event accompanies (indexed under that task), so no reader of the log sees the
    // action without its event.
    private AuditEntry Append(AuditEvent audit, string? taskId)
    {
        ArgumentNullException.ThrowIfNull(audit);
        lock (_auditLock)
        {
            var seq = _auditSeq + 1;
            var entry = new AuditEntry(0, seq, _auditHead, AuditHash.Link(0, seq, _auditHead, audit.Body), audit.Body);
            _auditEntries.Add(entry);
            (_auditSeq, _auditHead) = (seq, entry.Hash);
            if (taskId is not null)
            {
                if (!_auditByTask.TryGetValue(taskId, out var positions))
                {
                    _auditByTask[taskId] = positions = [];
                }

                positions.Add(seq);
            }

            return entry;
        }
    }
}
