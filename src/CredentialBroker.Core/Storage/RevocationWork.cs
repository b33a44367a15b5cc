namespace CredentialBroker.Core.Storage;

/// <summary>One unit of revocation work: a task whose pending credentials need their downstream revocation.</summary>
/// <param name="Id">The queue's id for this entry (to acknowledge it).</param>
/// <param name="TaskId">The task.</param>
/// <param name="EnqueuedAt">When the work was enqueued.</param>
public sealed record RevocationWork(string Id, string TaskId, DateTimeOffset EnqueuedAt);
