namespace CredentialBroker.Abstractions.Audit;

/// <summary>The last event of a chain, and the first one the log still holds (older ones were trimmed behind a checkpoint).</summary>
/// <param name="Chain">The chain.</param>
/// <param name="Seq">The last event's position.</param>
/// <param name="Hash">The last event's hash.</param>
public sealed record AuditHead(int Chain, long Seq, string Hash);
