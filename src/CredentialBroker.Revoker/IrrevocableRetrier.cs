using CredentialBroker.Abstractions;
using CredentialBroker.Abstractions.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CredentialBroker.Revoker;

/// <summary>Tries irrevocable credentials again, at the slower cadence, until their downstream revocation succeeds or the SOC resolves them.</summary>
public sealed class IrrevocableRetrier(IRevokerStore revoker, ICredentialStore store, RevocationProcessor processor, IOptions<RevokerOptions> options, [FromKeyedServices(BrokerTime.ServiceKey)] TimeProvider time)
{
    /// <summary>Retries every irrevocable credential that is due; returns how many recovered.</summary>
    public async ValueTask<int> RetryDueAsync(CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        var due = await revoker.ClaimRetriesAsync(time.GetUtcNowMilliseconds(), 100, options.Value.IrrevocableRetryInterval, cancellationToken);
        var recovered = 0;
        foreach (var (taskId, jti) in due)
        {
            var lookup = await store.GetCredentialAsync(taskId, jti, cancellationToken);
            if (lookup is null)
            {
                // The record is past its retention: nothing is left to revoke or to report.
                await revoker.DropRetryAsync(taskId, jti, cancellationToken);
                continue;
            }

            if (lookup.Credential.Downstream is { Irrevocable: true } && await processor.RetryAsync(lookup.Credential, cancellationToken))
            {
                recovered++;
            }
        }

        return recovered;
    }

    /// <summary>Marks an irrevocable credential resolved by hand (the SOC revoked it some other way, or accepts the risk).</summary>
    /// <returns><see langword="false"/> when there is no such credential or it is not irrevocable.</returns>
    public async ValueTask<bool> ResolveAsync(string taskId, string jti, string resolvedBy, string note, CancellationToken cancellationToken)
    {
        var lookup = await store.GetCredentialAsync(taskId, jti, cancellationToken);
        if (lookup?.Credential.Downstream is not { Irrevocable: true } downstream)
        {
            return false;
        }

        await revoker.CompleteAsync(lookup.Credential, downstream with { Irrevocable = false, LastError = "resolved: " + note, ResolvedBy = resolvedBy }, null, cancellationToken);
        return true;
    }
}
