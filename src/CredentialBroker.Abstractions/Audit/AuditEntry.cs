namespace CredentialBroker.Abstractions.Audit;

/// <summary>An event as the log holds it: its place in its chain, the previous event's hash, its own hash and its body.</summary>
/// <param name="Chain">The chain it belongs to (0 when the log has one chain).</param>
/// <param name="Seq">Its position in the chain, from 1.</param>
/// <param name="Prev">The hash of the event before it (<see cref="AuditHash.Genesis"/> for the first).</param>
/// <param name="Hash">Its hash (<see cref="AuditHash.Link"/>), as stored.</param>
/// <param name="Body">The event's JSON object, as stored.</param>
public sealed record AuditEntry(int Chain, long Seq, string Prev, string Hash, string Body);
