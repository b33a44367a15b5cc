using CredentialBroker.Core;
using Microsoft.Extensions.DependencyInjection;
using CredentialBroker.Core.Storage;
using Microsoft.Extensions.Options;

namespace CredentialBroker.Core.Revocation;

/// <summary>
/// Sweeps the expiry index: claims due credentials under a lease, marks each expiry processed (which makes
/// it pending and queues its downstream revocation), then releases the claims. Several replicas sweep at once
/// without doing the same work twice in effect; a replica that dies mid-sweep loses nothing, its claims come
/// due again when the lease runs out. Redis keyspace notifications are not used.
/// </summary>
public sealed class ExpirySweeper(IRevokerStore revoker, IRevocationSignal signal, IOptions<RevokerOptions> options, RevokerMetrics metrics, [FromKeyedServices(BrokerTime.ServiceKey)] TimeProvider time)
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
                if (await revoker.ExpireAsync(due, now, ct))
                {
                    metrics.SweepLag(now - due.ExpiresAt);
                    Interlocked.Increment(ref processed);
                }
            });
            await revoker.ReleaseAsync(claimed, cancellationToken);
            if (claimed.Count < settings.SweepBatchSize)
            {
                break;
            }
        }

        if (processed > 0)
        {
            signal.WorkAvailable();
        }

        return processed;
    }
}
