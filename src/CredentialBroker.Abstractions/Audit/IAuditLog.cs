namespace CredentialBroker.Abstractions.Audit;

/// <summary>
/// The boundary log: append-only hash chains (one, or one per task shard on a Redis Cluster). Events that authorise an
/// action are appended by the credential store in the same atomic step as the action's record; everything else comes
/// through <see cref="AppendAsync"/>. A log that cannot be written throws <see cref="Storage.StoreUnavailableException"/>
/// and the action fails closed.
/// </summary>
public interface IAuditLog
{
    /// <summary>How many chains the log has (chains are numbered from 0).</summary>
    int Chains { get; }

    /// <summary>The chain that holds the events of <paramref name="taskId"/> (chain 0 for events about no task).</summary>
    int ChainOf(string? taskId);

    /// <summary>Appends <paramref name="audit"/> to its chain and returns it as stored.</summary>
    ValueTask<AuditEntry> AppendAsync(AuditEvent audit, CancellationToken cancellationToken);

    /// <summary>Up to <paramref name="limit"/> events of <paramref name="chain"/> after <paramref name="afterSeq"/>, in order, as stored.</summary>
    ValueTask<IReadOnlyList<AuditEntry>> ReadAsync(int chain, long afterSeq, int limit, CancellationToken cancellationToken);

    /// <summary>Every chain's head (a chain with no event yet is absent).</summary>
    ValueTask<IReadOnlyList<AuditHead>> HeadsAsync(CancellationToken cancellationToken);

    /// <summary>The events about <paramref name="taskId"/>, in order (those the log still holds).</summary>
    ValueTask<IReadOnlyList<AuditEntry>> TaskEventsAsync(string taskId, CancellationToken cancellationToken);

    /// <summary>Stores a checkpoint (its number must follow the last one's).</summary>
    ValueTask AddCheckpointAsync(AuditCheckpoint checkpoint, CancellationToken cancellationToken);

    /// <summary>The newest checkpoint, if any.</summary>
    ValueTask<AuditCheckpoint?> LastCheckpointAsync(CancellationToken cancellationToken);

    /// <summary>Every checkpoint the log holds, oldest first.</summary>
    ValueTask<IReadOnlyList<AuditCheckpoint>> CheckpointsAsync(CancellationToken cancellationToken);

    /// <summary>Forgets the events of <paramref name="chain"/> up to and including <paramref name="throughSeq"/>; returns how many went.</summary>
    ValueTask<long> TrimAsync(int chain, long throughSeq, CancellationToken cancellationToken);
}
