namespace CredentialBroker.Abstractions.Audit;

/// <summary>A signed statement of every chain's head at one moment: an auditor anchors it elsewhere.</summary>
/// <param name="Seq">The checkpoint's number, from 1.</param>
/// <param name="Heads">Each chain's head when it was taken.</param>
/// <param name="Time">When it was taken.</param>
/// <param name="Jws">The compact JWS over it, by a key the broker publishes in its JWKS.</param>
public sealed record AuditCheckpoint(long Seq, IReadOnlyList<AuditHead> Heads, DateTimeOffset Time, string Jws);
