using CredentialBroker.Abstractions.Storage;
using StackExchange.Redis;

namespace CredentialBroker.Redis;

/// <summary>
/// DPoP replay memory and server nonces in Redis, shared by every replica: a used proof is one key set with
/// <c>NX</c> and an expiry (a proof presented to two replicas at once is accepted by exactly one), a nonce one key that
/// expires with it. Each key is its own hash tag, so they spread across a cluster.
/// </summary>
public sealed class RedisProofReplayStore : IProofReplayStore
{
    private static readonly TimeSpan MinimumMemory = TimeSpan.FromSeconds(1);
    private readonly RedisContext _redis;

    /// <summary>Creates the store over the broker's Redis context.</summary>
    public RedisProofReplayStore(RedisContext redis)
    {
        ArgumentNullException.ThrowIfNull(redis);
        _redis = redis;
    }

    /// <inheritdoc />
    public ValueTask<ProofAcceptance> AcceptProofAsync(string proofKey, string? nonce, DateTimeOffset forgetAt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(proofKey);
        var memory = forgetAt - _redis.Time.GetUtcNow();
        return _redis.ExecuteAsync(async ct =>
        {
            var db = _redis.Db;
            if (nonce is not null && !await db.KeyExistsAsync(_redis.Keys.DpopNonce(nonce)))
            {
                return ProofAcceptance.UnknownNonce;
            }

            return await db.StringSetAsync(_redis.Keys.DpopProof(proofKey), 1, memory > MinimumMemory ? memory : MinimumMemory, When.NotExists)
                ? ProofAcceptance.Accepted
                : ProofAcceptance.Replayed;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public async ValueTask AddNonceAsync(string nonce, DateTimeOffset expiresAt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(nonce);
        var lifetime = expiresAt - _redis.Time.GetUtcNow();
        await _redis.ExecuteAsync(async ct => await _redis.Db.StringSetAsync(_redis.Keys.DpopNonce(nonce), 1, lifetime > MinimumMemory ? lifetime : MinimumMemory), cancellationToken);
    }
}
