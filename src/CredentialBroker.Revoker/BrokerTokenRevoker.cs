using CredentialBroker.Abstractions;
using CredentialBroker.Abstractions.Revocation;
using CredentialBroker.Abstractions.Soc;
using CredentialBroker.Abstractions.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace CredentialBroker.Revoker;

/// <summary>
/// The broker's own tokens (task, delegated, access, transaction). Nothing outside the broker holds state for them: their
/// downstream revocation is the revocation feed entry, written just before this runs, and the proof that one
/// is dead is what introspection answers — the store's status of its credential.
/// </summary>
public sealed class BrokerTokenRevoker(ICredentialStore store, [FromKeyedServices(BrokerTime.ServiceKey)] TimeProvider time) : IDownstreamRevoker
{
    /// <inheritdoc />
    public bool IsResponsibleFor(CredentialRecord credential)
    {
        ArgumentNullException.ThrowIfNull(credential);
        return credential.Kind is CredentialKind.Task or CredentialKind.Delegated or CredentialKind.AccessToken or CredentialKind.TxnToken;
    }

    /// <inheritdoc />
    public ValueTask RevokeAsync(CredentialRecord credential, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    /// <inheritdoc />
    public async ValueTask<bool> VerifyAsync(CredentialRecord credential, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(credential);

        // Past its exp a broker token fails every validation, wherever it is presented: no lookup needed.
        if (credential.ExpiresAt <= time.GetUtcNow())
        {
            return true;
        }

        // The record alone decides what introspection answers for it (revoked, or gone): no need to read its task too.
        var stored = (await store.GetCredentialRecordsAsync([new CredentialRef(credential.TaskId, credential.Jti)], cancellationToken))[0];
        return stored is null || stored.StatusAt(time.GetUtcNow()) != CredentialStatus.Active;
    }
}
