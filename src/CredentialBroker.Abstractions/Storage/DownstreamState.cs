namespace CredentialBroker.Abstractions.Storage;

/// <summary>
/// How far a revoked or expired credential's invalidation has got beyond the broker's own record: delivered
/// downstream (for broker tokens: published on the revocation feed; for downstream secrets: deleted at the
/// provider), and verified dead by a probe. <see cref="Irrevocable"/> marks a credential whose downstream
/// revocation kept failing; it is retried on a slower cadence until it succeeds or the SOC resolves it.
/// </summary>
/// <param name="RevokedAt">When the downstream revocation succeeded, if it has.</param>
/// <param name="VerifiedAt">When a probe confirmed the credential no longer works, if one has.</param>
/// <param name="Attempts">How many downstream attempts were made.</param>
/// <param name="Irrevocable">Whether the attempts ran out without success.</param>
/// <param name="LastError">The last failure, without secrets.</param>
/// <param name="ResolvedBy">Who resolved an irrevocable credential by hand, if someone did.</param>
public sealed record DownstreamState(
    DateTimeOffset? RevokedAt,
    DateTimeOffset? VerifiedAt,
    int Attempts,
    bool Irrevocable,
    string? LastError,
    string? ResolvedBy = null)
{
    /// <summary>
    /// Revoked downstream, or resolved by hand: a later outcome from a caller that did not read this one (a replica that
    /// lost its lease and records its failed attempts late) does not replace it.
    /// </summary>
    public bool IsSettled => RevokedAt is not null || ResolvedBy is not null;
}
