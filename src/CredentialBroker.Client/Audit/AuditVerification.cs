namespace CredentialBroker.Client.Audit;

/// <summary>
/// The outcome of <c>GET /v1/audit/verify</c>: the chains recompute, or the first event that is altered, missing or
/// reordered (<see cref="AuditFailureReasons"/>).
/// </summary>
public sealed class AuditVerification
{
    /// <summary>Whether every chain verified.</summary>
    public bool Verified { get; init; }

    /// <summary>How many events were checked.</summary>
    public long Events { get; init; }

    /// <summary>How many signed checkpoints the log holds (each was checked against the broker's published keys).</summary>
    public int Checkpoints { get; init; }

    /// <summary>When it failed: the position of the first bad event.</summary>
    public long? FirstBadEvent { get; init; }

    /// <summary>When it failed: the chain of the first bad event.</summary>
    public int? Chain { get; init; }

    /// <summary>When it failed: <see cref="AuditFailureReasons"/>.</summary>
    public string? Reason { get; init; }

    /// <summary>When it failed: what exactly did not hold.</summary>
    public string? Detail { get; init; }

    /// <inheritdoc />
    public override string ToString() => Verified
        ? $"verified: {Events} events, {Checkpoints} checkpoint(s)"
        : $"NOT verified: event {FirstBadEvent} of chain {Chain} is {Reason}: {Detail}";
}
