using CredentialBroker.Abstractions;
using CredentialBroker.Abstractions.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CredentialBroker.Revoker;

/// <summary>
/// Sweeps the expiry index: claims due credentials under a lease, finishes each expiry at once (feed, downstream,
/// verification, then the record of it), then releases the claims. The claim is the durable work: several replicas
/// sweep at once without doing the same work twice in effect, and a replica that dies mid-sweep loses nothing — its
/// claims come due again when the lease runs out, and expiries not yet recorded are finished then. A credential
/// revoked before its expiry is left to its revocation. Redis keyspace notifications are not used.
/// </summary>
public sealed class ExpirySweeper(IRevokerStore revoker, RevocationProcessor processor, IOptions<RevokerOptions> options, RevokerMetrics metrics, [FromKeyedServices(BrokerTime.ServiceKey)] TimeProvider time)
{
    /// <summary>Sweeps until nothing is due; returns how many expiries this replica processed.</summary>
    public async ValueTask<int> SweepAsync(CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        var settings = options.Value;
        var processed = 0;
        while (true)
        {
            var now = time.GetUtcNowMilliseconds();
            var claimed = await revoker.ClaimDueAsync(now, settings.SweepBatchSize, settings.Lease, cancellationToken);
            if (claimed.Count == 0)
            {
                break;
            }

            await Parallel.ForEachAsync(claimed, new ParallelOptions { MaxDegreeOfParallelism = settings.Concurrency, CancellationToken = cancellationToken }, async (due, ct) =>
            {
                if (await revoker.ReadDueAsync(due, now, ct) is { } expired)
                {
                    metrics.SweepLag(now - due.ExpiresAt);
                    await processor.ProcessAsync(expired, ct);
                    Interlocked.Increment(ref processed);
                }
            });
            await revoker.ReleaseAsync(claimed, cancellationToken);
            if (claimed.Count < settings.SweepBatchSize)
            {
                break;
            }
        }

        return processed;
    }
}
