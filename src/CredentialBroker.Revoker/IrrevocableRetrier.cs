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

            if (lookup.Credential.Downstream is { Irrevocable: true })
            {
                recovered += await processor.RetryAsync(lookup.Credential, cancellationToken) ? 1 : 0;
            }
            else if (lookup.Credential.Downstream is { IsSettled: true })
            {
                // Scheduled by a late outcome that did not replace this settled one (a replica that lost its lease).
                await revoker.DropRetryAsync(taskId, jti, cancellationToken);
            }
        }

        return recovered;
    }

    /// <summary>The longest resolution note.</summary>
    public const int MaxNoteLength = 1024;

    /// <summary>
    /// Marks an irrevocable credential resolved by hand (the SOC revoked it some other way, or accepts the risk), with a
    /// note of what was done instead.
    /// </summary>
    public async ValueTask<Resolution> ResolveAsync(string taskId, string jti, string resolvedBy, string? note, CancellationToken cancellationToken)
    {
        var errors = new FieldErrors();
        if (string.IsNullOrWhiteSpace(note) || note.Length > MaxNoteLength)
        {
            errors.Add("note", $"required, at most {MaxNoteLength} characters: what was done instead");
            return new Resolution(ResolutionOutcome.Invalid, null, errors);
        }

        var lookup = await store.GetCredentialAsync(taskId, jti, cancellationToken);
        if (lookup is null)
        {
            return new Resolution(ResolutionOutcome.NotFound, null, errors);
        }

        if (lookup.Credential.Downstream is not { Irrevocable: true } downstream)
        {
            return new Resolution(ResolutionOutcome.NotIrrevocable, lookup.Credential, errors);
        }

        var resolved = downstream with { Irrevocable = false, LastError = "resolved: " + note, ResolvedBy = resolvedBy };
        await revoker.CompleteAsync(lookup.Credential, resolved, null, cancellationToken);
        return new Resolution(ResolutionOutcome.Resolved, lookup.Credential with { Downstream = resolved }, errors);
    }
}
