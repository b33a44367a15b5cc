using CredentialBroker.Abstractions.Revocation;
using CredentialBroker.Abstractions.Storage;
using CredentialBroker.Core.Revocation;
using CredentialBroker.EmbeddedStore;
using CredentialBroker.Revoker;

namespace CredentialBroker.Core.Tests.Revocation;

/// <summary>A downstream provider for one credential kind that fails a set number of times before it succeeds (or always).</summary>
internal sealed class FlakyDownstream(CredentialKind kind, int failures) : IDownstreamRevoker
{
    private int _calls;

    public int Failures { get; set; } = failures;

    public int Calls => _calls;

    public HashSet<string> Revoked { get; } = [];

    public bool IsResponsibleFor(CredentialRecord credential) => credential.Kind == kind;

    public ValueTask RevokeAsync(CredentialRecord credential, CancellationToken cancellationToken)
    {
        if (Interlocked.Increment(ref _calls) <= Failures)
        {
            throw new InvalidOperationException("provider unreachable");
        }

        lock (Revoked)
        {
            Revoked.Add(credential.Jti);
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask<bool> VerifyAsync(CredentialRecord credential, CancellationToken cancellationToken)
    {
        lock (Revoked)
        {
            return ValueTask.FromResult(Revoked.Contains(credential.Jti));
        }
    }
}
