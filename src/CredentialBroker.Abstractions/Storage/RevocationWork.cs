namespace CredentialBroker.Abstractions.Storage;

/// <summary>One unit of revocation work: a task whose pending credentials need their downstream revocation.</summary>
/// <param name="Id">The queue's id for this entry (to acknowledge it).</param>
/// <param name="TaskId">The task.</param>
/// <param name="EnqueuedAt">When the work was enqueued.</param>
/// <param name="Recorded">
/// Whether the revocation the entry announces is recorded. The entry is written first, so a replica can take it
/// while its writer is still recording (or after the writer failed before recording): such an entry is not
/// acknowledged but deferred until it is recorded, or until it is a lease old and can no longer be.
/// </param>
public sealed record RevocationWork(string Id, string TaskId, DateTimeOffset EnqueuedAt, bool Recorded = true);
