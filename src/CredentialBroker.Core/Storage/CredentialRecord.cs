namespace CredentialBroker.Core.Storage;

/// <summary>A credential as the store keeps it. Recorded before the credential is signed or handed out.</summary>
/// <param name="Jti">Its unique id.</param>
/// <param name="TaskId">The task it belongs to.</param>
/// <param name="Kind">What kind of credential it is.</param>
/// <param name="ParentJti">The credential it was derived from, or <see langword="null"/> for a task token.</param>
/// <param name="Holder">The SPIFFE ID it is bound to.</param>
/// <param name="IssuedAt">When it was issued (whole seconds).</param>
/// <param name="ExpiresAt">When it expires (whole seconds).</param>
/// <param name="RevokedAt">When it was revoked, or <see langword="null"/>.</param>
/// <param name="RevocationReason">Why it was revoked (<see cref="RevocationReasons"/>), or <see langword="null"/>.</param>
public sealed record CredentialRecord(
    string Jti,
    string TaskId,
    CredentialKind Kind,
    string? ParentJti,
    string Holder,
    DateTimeOffset IssuedAt,
    DateTimeOffset ExpiresAt,
    DateTimeOffset? RevokedAt = null,
    string? RevocationReason = null)
{
    /// <summary>The credential's status at <paramref name="now"/>.</summary>
    public CredentialStatus StatusAt(DateTimeOffset now) =>
        RevokedAt is not null ? CredentialStatus.Revoked
        : now >= ExpiresAt ? CredentialStatus.Expired
        : CredentialStatus.Active;
}
