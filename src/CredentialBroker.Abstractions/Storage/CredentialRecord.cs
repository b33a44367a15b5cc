namespace CredentialBroker.Abstractions.Storage;

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
/// <param name="Audience">The resource an access token is for; <see langword="null"/> for task tokens.</param>
/// <param name="Depth">How many delegations lie between the task token and this credential (0 for the task token and its access tokens).</param>
/// <param name="Policy">The policy decision that allowed it.</param>
/// <param name="ExpiryProcessedAt">When the revoker processed its expiry (started its downstream revocation), if it has.</param>
/// <param name="Downstream">How far its invalidation has got downstream, once it is revoked or expired.</param>
/// <param name="Secret">For a downstream secret: which provider issued it and what identifies it there (never the secret).</param>
/// <param name="Binding">The key it is bound to besides its holder (a DPoP key or a client certificate), if any: every use needs proof of it.</param>
public sealed record CredentialRecord(
    string Jti,
    string TaskId,
    CredentialKind Kind,
    string? ParentJti,
    string Holder,
    DateTimeOffset IssuedAt,
    DateTimeOffset ExpiresAt,
    DateTimeOffset? RevokedAt = null,
    string? RevocationReason = null,
    string? Audience = null,
    int Depth = 0,
    PolicyReference? Policy = null,
    DateTimeOffset? ExpiryProcessedAt = null,
    DownstreamState? Downstream = null,
    SecretReference? Secret = null,
    KeyBinding? Binding = null)
{
    /// <summary>
    /// The credential's entry in a Token Status List, allocated by the store when it records a token; <see langword="null"/>
    /// for a downstream secret (not a token) and for a record not yet stored.
    /// </summary>
    public StatusListEntry? Status { get; init; }

    /// <summary>The credential's status at <paramref name="now"/>.</summary>
    public CredentialStatus StatusAt(DateTimeOffset now) =>
        RevokedAt is not null ? CredentialStatus.Revoked
        : now >= ExpiresAt ? CredentialStatus.Expired
        : CredentialStatus.Active;
}
