namespace CredentialBroker.Client.Soc;

/// <summary>A bulk revocation and its progress (<c>GET /v1/revocations/{id}</c>); a dry run fills only <see cref="DryRun"/> and <see cref="Matched"/>.</summary>
public sealed class BulkRevocation
{
    /// <summary>Its id, <c>rev_…</c> (none for a dry run).</summary>
    public string? Id { get; init; }

    /// <summary>Whether this was a dry run: nothing was revoked.</summary>
    public bool DryRun { get; init; }

    /// <summary><see cref="RevocationStatuses"/>.</summary>
    public string? Status { get; init; }

    /// <summary>Why.</summary>
    public string? Reason { get; init; }

    /// <summary>The incident it answers.</summary>
    public string? IncidentId { get; init; }

    /// <summary>What the selector matched (grows while the fan-out runs).</summary>
    public RevocationMatch Matched { get; init; } = new();

    /// <summary>Credentials revoked at the broker.</summary>
    public int Revoked { get; init; }

    /// <summary>Credentials delivered downstream (the feed, or the secret's provider).</summary>
    public int DownstreamRevoked { get; init; }

    /// <summary>Credentials proved dead.</summary>
    public int Verified { get; init; }

    /// <summary>Credentials the revoker could not revoke downstream.</summary>
    public int Irrevocable { get; init; }

    /// <summary>Credentials whose record vanished before verification.</summary>
    public int Failed { get; init; }

    /// <summary>When it was requested.</summary>
    public DateTimeOffset? RequestedAt { get; init; }

    /// <summary>When every matched credential was revoked at the broker.</summary>
    public DateTimeOffset? BrokerRevokedAt { get; init; }

    /// <summary>When it finished.</summary>
    public DateTimeOffset? CompletedAt { get; init; }

    /// <summary>Whether it has finished (<see cref="RevocationStatuses.Completed"/> or <see cref="RevocationStatuses.CompletedWithFailures"/>).</summary>
    public bool IsFinished => Status is RevocationStatuses.Completed or RevocationStatuses.CompletedWithFailures;

    /// <inheritdoc />
    public override string ToString() => DryRun
        ? $"dry run: {Matched.Total} matched"
        : $"{Id} {Status}: {Matched.Total} matched, {Revoked} revoked, {DownstreamRevoked} downstream, {Verified} verified, {Irrevocable} irrevocable, {Failed} failed";
}
