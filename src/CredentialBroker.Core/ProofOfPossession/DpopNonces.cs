using System.Security.Cryptography;
using CredentialBroker.Abstractions;
using CredentialBroker.Abstractions.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace CredentialBroker.Core.ProofOfPossession;

/// <summary>
/// Server nonces for DPoP (RFC 9449 §8): each replica hands out one random nonce at a time, recorded in the replay store
/// (so every replica accepts it) for <see cref="DpopOptions.NonceLifetime"/>, and draws a fresh one after half of it — so
/// a nonce a client just received is good for at least half a lifetime, and the store sees one write per replica per
/// half-lifetime, not one per request.
/// </summary>
public sealed class DpopNonces
{
    private readonly IProofReplayStore _store;
    private readonly TimeSpan _lifetime;
    private readonly TimeProvider _time;
    private volatile Current? _current;

    /// <summary>Creates the source.</summary>
    public DpopNonces(IProofReplayStore store, IOptions<CredentialBrokerOptions> options, [FromKeyedServices(BrokerTime.ServiceKey)] TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        _store = store;
        _lifetime = options.Value.Dpop.NonceLifetime;
        _time = time;
    }

    /// <summary>The nonce to hand out now (drawn and recorded first when the last one is past half its lifetime).</summary>
    /// <exception cref="StoreUnavailableException">A fresh nonce was due and the store did not record it.</exception>
    public async ValueTask<string> CurrentAsync(CancellationToken cancellationToken)
    {
        if (_current is { } current && _time.GetUtcNow() < current.RenewAt)
        {
            return current.Nonce;
        }

        // Replicas and concurrent requests may draw at the same moment: every nonce drawn is recorded, so each is good.
        var now = _time.GetUtcNow();
        var nonce = Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(18));
        await _store.AddNonceAsync(nonce, now + _lifetime, cancellationToken).ConfigureAwait(false);
        _current = new Current(nonce, now + (_lifetime / 2));
        return nonce;
    }

    private sealed record Current(string Nonce, DateTimeOffset RenewAt);
}
