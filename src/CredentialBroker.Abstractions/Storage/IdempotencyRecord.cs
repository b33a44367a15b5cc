namespace CredentialBroker.Abstractions.Storage;

/// <summary>What an <c>Idempotency-Key</c> was first used for.</summary>
/// <param name="Key">The key, already scoped to the caller (see <c>IdempotencyKeys</c>).</param>
/// <param name="RequestHash">A hash of the normalised request, to tell a retry from a reuse.</param>
/// <param name="TaskId">The task the first request created.</param>
/// <param name="Jti">Its task token's id.</param>
/// <param name="IssuedAt">When it was issued.</param>
public sealed record IdempotencyRecord(string Key, string RequestHash, string TaskId, string Jti, DateTimeOffset IssuedAt);
