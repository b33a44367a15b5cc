using CredentialBroker.Abstractions;
using CredentialBroker.Abstractions.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CredentialBroker.Revoker;

/// <summary>
/// Sweeps the expiry index: claims due credentials under a lease, finishes the claimed expiries as one batch (feed,
/// downstream, verification, then the record of them), then releases the claims. The claim is the durable work: several replicas
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

            // The whole claim as one batch: one read, one feed append, one record of the outcomes (see
            // RevocationProcessor.ProcessBatchAsync). The claims are released only after that, so a crash anywhere in
            // between leaves every one of them to come due again after the lease.
            var expired = await revoker.ReadDueAsync(claimed, now, cancellationToken);
            foreach (var credential in expired)
            {
                metrics.SweepLag(now - credential.ExpiresAt);
            }

            await processor.ProcessBatchAsync(expired, cancellationToken);
            processed += expired.Count;
            await revoker.ReleaseAsync(claimed, cancellationToken);
        }

        return processed;
    }
}
