using CredentialBroker.Abstractions.Storage;

namespace CredentialBroker.Abstractions.Revocation;

/// <summary>
/// Takes a revoked or expired credential away where it is honoured, and proves it. The broker's own tokens
/// are handled built in (their downstream step is the revocation feed); downstream secret providers
/// (databases, Redis ACL users, Vault leases) plug in here. Implementations must be idempotent — the revoker
/// may call them again after a crash — and must not put secrets in exception messages: the message is stored
/// as the credential's last error. When several registered revokers are responsible for a credential, the one
/// registered last handles it.
/// </summary>
public interface IDownstreamRevoker
{
    /// <summary>Whether this revoker is responsible for <paramref name="credential"/>.</summary>
    bool IsResponsibleFor(CredentialRecord credential);

    /// <summary>Revokes the credential downstream; throws when it could not.</summary>
    ValueTask RevokeAsync(CredentialRecord credential, CancellationToken cancellationToken);

    /// <summary>Tries the credential and answers whether it no longer works.</summary>
    ValueTask<bool> VerifyAsync(CredentialRecord credential, CancellationToken cancellationToken);
}
