using System.Collections.Concurrent;
using CredentialBroker.Abstractions.Storage;

namespace CredentialBroker.EmbeddedStore;

/// <summary>DPoP replay memory and server nonces, in process memory (one replica is all the embedded store serves).</summary>
public sealed partial class InMemoryCredentialStore : IProofReplayStore
{
    private readonly ConcurrentDictionary<string, DateTimeOffset> _proofs = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, DateTimeOffset> _nonces = new(StringComparer.Ordinal);

    /// <inheritdoc />
    public ValueTask<ProofAcceptance> AcceptProofAsync(string proofKey, string? nonce, DateTimeOffset forgetAt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(proofKey);
        var now = _time.GetUtcNow();
        if (nonce is not null && !(_nonces.TryGetValue(nonce, out var nonceExpiresAt) && nonceExpiresAt > now))
        {
            return ValueTask.FromResult(ProofAcceptance.UnknownNonce);
        }

        var first = true;
        _proofs.AddOrUpdate(
            proofKey,
            static (_, state) => state.forgetAt,
            (_, until, state) =>
            {
                if (until > state.now)
                {
                    first = false;
                    return until;
                }

                return state.forgetAt;
            },
            (forgetAt, now));
        return ValueTask.FromResult(first ? ProofAcceptance.Accepted : ProofAcceptance.Replayed);
    }

    /// <inheritdoc />
    public ValueTask AddNonceAsync(string nonce, DateTimeOffset expiresAt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(nonce);
        _nonces[nonce] = expiresAt;
        PruneProofs(_time.GetUtcNow());
        return ValueTask.CompletedTask;
    }

    /// <summary>Forgets proofs that can no longer pass the freshness check, and expired nonces.</summary>
    private void PruneProofs(DateTimeOffset now)
    {
        foreach (var (key, until) in _proofs)
        {
            if (until <= now)
            {
                _proofs.TryRemove(key, out _);
            }
        }

        foreach (var (nonce, until) in _nonces)
        {
            if (until <= now)
            {
                _nonces.TryRemove(nonce, out _);
            }
        }
    }
}
