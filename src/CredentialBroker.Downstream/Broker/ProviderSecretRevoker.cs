using CredentialBroker.Abstractions.Revocation;
using CredentialBroker.Abstractions.Storage;
using CredentialBroker.Downstream.Providers;

namespace CredentialBroker.Downstream.Broker;

/// <summary>
/// Revokes downstream secrets for the revoker, through the provider that issued each (named in its record), and proves
/// them dead with the provider's probe. A provider no longer configured, or a backend that cannot be reached, throws:
/// the revoker retries, then marks the secret irrevocable and alerts — a secret is never silently dropped.
/// </summary>
internal sealed class ProviderSecretRevoker(SecretProviders providers) : IDownstreamRevoker
{
    public bool IsResponsibleFor(CredentialRecord credential)
    {
        ArgumentNullException.ThrowIfNull(credential);
        return credential.Kind == CredentialKind.Secret;
    }

    public ValueTask RevokeAsync(CredentialRecord credential, CancellationToken cancellationToken)
    {
        var (provider, handle) = Resolve(credential);
        return provider.RevokeAsync(handle, cancellationToken);
    }

    public ValueTask<bool> VerifyAsync(CredentialRecord credential, CancellationToken cancellationToken)
    {
        var (provider, handle) = Resolve(credential);
        return provider.VerifyRevokedAsync(handle, cancellationToken);
    }

    private (ISecretProvider Provider, SecretHandle Handle) Resolve(CredentialRecord credential)
    {
        ArgumentNullException.ThrowIfNull(credential);
        var reference = credential.Secret ?? throw new InvalidOperationException($"Secret {credential.Jti} has no provider reference in its record.");
        var provider = providers.ByName(reference.Provider)
            ?? throw new InvalidOperationException($"Secret {credential.Jti} was issued by provider '{reference.Provider}', which is no longer configured; revoke it by hand and resolve it.");
        return (provider, new SecretHandle(credential.Jti, reference.Provider, reference.Username, reference.LeaseId, credential.ExpiresAt));
    }
}
