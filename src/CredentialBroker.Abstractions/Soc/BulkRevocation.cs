namespace CredentialBroker.Abstractions.Soc;

/// <summary>Where a bulk revocation stands. Wire names: <c>running</c>, <c>completed</c>, <c>completed_with_failures</c>.</summary>
public enum BulkRevocationStatus
{
    /// <summary>Matching, revoking, or waiting for downstream revocation and verification.</summary>
    Running,

    /// <summary>Every matched credential is revoked downstream and verified dead.</summary>
    Completed,

    /// <summary>Done, but some credentials are irrevocable or failed: the SOC must look at them.</summary>
    CompletedWithFailures,
}

/// <summary>How many credentials a selector matched, by kind and by resource.</summary>
/// <param name="Total">All matched credentials (direct matches and the live credentials derived from them).</param>
/// <param name="ByKind">Counts by credential kind wire name.</param>
/// <param name="ByResource">Counts by resource; credentials without one (task tokens) count under <c>broker</c>.</param>
public sealed record MatchCounts(int Total, IReadOnlyDictionary<string, int> ByKind, IReadOnlyDictionary<string, int> ByResource)
{
    /// <summary>Nothing matched.</summary>
    public static MatchCounts None { get; } = new(0, new Dictionary<string, int>(), new Dictionary<string, int>());
}

/// <summary>
/// A SOC bulk revocation, as stored: the request, and its progress. While it is young enough that a credential it
/// covers could still be alive, it is also a <em>rule</em> (every credential it selects that was issued no later than
/// <see cref="RequestedAt"/> is inactive at introspection and exchange, even before the fan-out reaches it), and
/// with <see cref="Quarantine"/> it refuses new tasks and exchanges for the selected workloads until lifted.
/// <see cref="BrokerRevokedAt"/> is when the fan-out had revoked every matched credential at the broker.
/// </summary>
public sealed record BulkRevocation(
    string Id,
    RevocationSelector Selector,
    string Reason,
    string? IncidentId,
    bool Quarantine,
    string RequestedBy,
    DateTimeOffset RequestedAt,
    BulkRevocationStatus Status,
    DateTimeOffset? BrokerRevokedAt,
    MatchCounts Matched,
    int Revoked,
    int DownstreamRevoked,
    int Verified,
    int Irrevocable,
    int Failed,
    DateTimeOffset? CompletedAt = null,
    DateTimeOffset? QuarantineLiftedAt = null,
    string? QuarantineLiftedBy = null,
    IReadOnlyDictionary<string, ResourceProgress>? ByResource = null)
{
    /// <summary>Whether the quarantine is in force.</summary>
    public bool Quarantining => Quarantine && QuarantineLiftedAt is null;

    /// <summary>The wire name of a status.</summary>
    public static string ToWireName(BulkRevocationStatus status) => status switch
    {
        BulkRevocationStatus.Running => "running",
        BulkRevocationStatus.Completed => "completed",
        BulkRevocationStatus.CompletedWithFailures => "completed_with_failures",
        _ => throw new ArgumentOutOfRangeException(nameof(status)),
    };
}

/// <summary>
/// How far a bulk revocation has got on the credentials of one resource (its key in
/// <see cref="BulkRevocation.ByResource"/>, as in <see cref="MatchCounts.ByResource"/>): delivered downstream, verified
/// dead, irrevocable. A SOC follows a database's or a cache's logins separately from the broker's own tokens.
/// </summary>
/// <param name="DownstreamRevoked">Credentials of the resource delivered downstream (a secret: destroyed by its provider).</param>
/// <param name="Verified">Credentials of the resource proved dead (a secret: the backend refuses a login with it).</param>
/// <param name="Irrevocable">Credentials of the resource whose downstream revocation gave up.</param>
public sealed record ResourceProgress(int DownstreamRevoked, int Verified, int Irrevocable);

/// <summary>A credential a bulk revocation matched.</summary>
public readonly record struct CredentialRef(string TaskId, string Jti);
