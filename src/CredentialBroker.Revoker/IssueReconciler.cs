using System.Text.Json.Nodes;
using CredentialBroker.Abstractions.Audit;
using CredentialBroker.Abstractions;
using CredentialBroker.Abstractions.Revocation;
using CredentialBroker.Abstractions.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CredentialBroker.Revoker;

/// <summary>
/// Revokes downstream secrets whose issue was never confirmed: the broker records a secret and marks it as being issued
/// before it calls the backend, and confirms it only after the backend answered. A mark that outlives its deadline means
/// the issuing replica crashed, hung or lost a race with a revocation, and the backend may hold a secret nobody will
/// ever revoke otherwise. An unrevoked record is revoked (its subtree, reason <c>issue_incomplete</c>) through the
/// revocation queue; a record already revoked and processed is revoked downstream once more, since the backend may have
/// created the secret after that revocation ran. Every replica runs it; claims are leased, so none is lost or done twice at once.
/// </summary>
public sealed partial class IssueReconciler(
    IRevokerStore revoker,
    ICredentialStore store,
    RevocationProcessor processor,
    IRevocationSignal signal,
    [FromKeyedServices(BrokerTime.ServiceKey)] TimeProvider time,
    ILogger<IssueReconciler> logger)
{
    /// <summary>How many unconfirmed secrets one pass claims.</summary>
    public const int BatchSize = 100;

    /// <summary>How long a claim is held before another replica may take it.</summary>
    public static readonly TimeSpan ClaimLease = TimeSpan.FromMinutes(1);

    /// <summary>Reconciles every unconfirmed secret past its deadline; returns how many were revoked (again).</summary>
    /// <exception cref="StoreUnavailableException">The store did not answer; the claims come due again.</exception>
    public async ValueTask<int> ReconcileAsync(CancellationToken cancellationToken)
    {
        var reconciled = 0;
        while (true)
        {
            var now = time.GetUtcNowMilliseconds();
            var claimed = await revoker.ClaimUnconfirmedAsync(now, BatchSize, ClaimLease, cancellationToken);
            foreach (var (taskId, jti) in claimed)
            {
                if (await ReconcileAsync(taskId, jti, now, cancellationToken))
                {
                    reconciled++;
                }

                await revoker.ForgetIssuingAsync(taskId, jti, cancellationToken);
            }

            if (claimed.Count < BatchSize)
            {
                return reconciled;
            }
        }
    }

    private async ValueTask<bool> ReconcileAsync(string taskId, string jti, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var lookup = await store.GetCredentialAsync(taskId, jti, cancellationToken);
        if (lookup is null)
        {
            // Past its retention: the secret's own lifetime (VALID UNTIL, the ACL user's record, the lease) ended long ago.
            return false;
        }

        var credential = lookup.Credential;
        if (credential.RevokedAt is null)
        {
            await store.RevokeSubtreeAsync(taskId, jti, now, RevocationReasons.IssueIncomplete, AuditEvents.Create(
                AuditEventTypes.RevocationRecorded, now, AuditEvents.BrokerActor, lookup.Task, new JsonObject { ["jti"] = jti, ["reason"] = RevocationReasons.IssueIncomplete }), cancellationToken);
            signal.WorkAvailable();
            LogUnconfirmed(logger, jti, taskId);
            return true;
        }

        if (credential.Downstream is null)
        {
            // Its revocation is still queued: it runs after the backend's answer, so it finds whatever was created.
            return false;
        }

        LogRevokedAgain(logger, jti, taskId);
        await processor.RetryAsync(credential, cancellationToken);
        return true;
    }

    [LoggerMessage(EventId = 1904, EventName = "SecretIssueUnconfirmed", Level = LogLevel.Warning,
        Message = "Downstream secret {Jti} (task {TaskId}) was never confirmed as issued (its issuer crashed or timed out); revoking it downstream")]
    private static partial void LogUnconfirmed(ILogger logger, string jti, string taskId);

    [LoggerMessage(EventId = 1905, EventName = "SecretRevokedAgain", Level = LogLevel.Warning,
        Message = "Downstream secret {Jti} (task {TaskId}) was revoked while its backend was still creating it; revoking it downstream once more")]
    private static partial void LogRevokedAgain(ILogger logger, string jti, string taskId);
}
