using System.Text.Json.Nodes;
using CredentialBroker.Abstractions.Audit;
using CredentialBroker.Abstractions;
using CredentialBroker.Abstractions.Identity;
using CredentialBroker.Abstractions.Revocation;
using CredentialBroker.Abstractions.Storage;
using CredentialBroker.Core;
using CredentialBroker.Core.Identity;
using CredentialBroker.Core.ProofOfPossession;
using CredentialBroker.Core.Tokens;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CredentialBroker.Core.Revocation;

/// <summary>
/// RFC 7009 revocation. Revoking a token revokes its whole subtree of derived credentials. Garbage,
/// unknown, expired and already revoked tokens are a quiet success (RFC 7009 §2.2); a token that belongs
/// to someone else — not the holder, not the task's orchestrator, not the SOC — is refused. A holder revoking a
/// key-bound token proves the key like any other use of it (the orchestrator and the SOC revoke by their role).
/// </summary>
public sealed partial class RevocationService
{
    private static readonly string[] RevocableTypes = [TokenTypes.Task, TokenTypes.AccessToken, TokenTypes.TxnToken];

    private readonly BrokerTokenValidator _validator;
    private readonly ICredentialStore _store;
    private readonly IRevocationSignal _signal;
    private readonly TimeProvider _time;
    private readonly ILogger<RevocationService> _logger;

    /// <summary>Creates the service.</summary>
    public RevocationService(BrokerTokenValidator validator, ICredentialStore store, IRevocationSignal signal, [FromKeyedServices(BrokerTime.ServiceKey)] TimeProvider time, ILogger<RevocationService> logger)
    {
        _validator = validator;
        _store = store;
        _signal = signal;
        _time = time;
        _logger = logger;
    }

    /// <summary>Revokes <paramref name="token"/> and everything derived from it, if <paramref name="caller"/> may.</summary>
    /// <param name="caller">The authenticated caller.</param>
    /// <param name="token">The token to revoke, as sent.</param>
    /// <param name="dpop">The request's validated DPoP proof, if it had one (a holder's proof of a key-bound token's key).</param>
    /// <param name="cancellationToken">Cancels the store calls.</param>
    /// <exception cref="StoreUnavailableException">The store did not answer; the revocation is not recorded.</exception>
    public async ValueTask<RevocationOutcome> RevokeAsync(CallerIdentity caller, string? token, DpopProof? dpop, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        using var activity = BrokerTelemetry.Source.StartActivity(BrokerTelemetry.TokenRevokeSpan);
        activity?.SetTag(BrokerTelemetryTags.Caller, caller.Id.Value);
        try
        {
            var outcome = await RevokeCoreAsync(caller, token, dpop, cancellationToken);
            activity?.SetTag(BrokerTelemetryTags.Outcome, outcome switch
            {
                RevocationOutcome.NotEntitled => "not_entitled",
                RevocationOutcome.KeyNotProven => "key_not_proven",
                RevocationOutcome.ProofNotCoveringToken => "proof_not_covering_token",
                _ => "revoked",
            });
            return outcome;
        }
        catch (Exception ex)
        {
            BrokerTelemetry.Failed(activity, ex);
            throw;
        }
    }

    private async ValueTask<RevocationOutcome> RevokeCoreAsync(CallerIdentity caller, string? token, DpopProof? dpop, CancellationToken cancellationToken)
    {
        var validation = await _validator.ValidateAsync(token, RevocableTypes, checkLifetime: false);
        if (!validation.IsValid || !validation.Token.TryGetPayloadValue<string>("task_id", out var taskId))
        {
            return RevocationOutcome.Revoked;
        }

        var jti = validation.Token.Id;
        BrokerTelemetry.TagCurrent(BrokerTelemetryTags.TaskId, taskId);
        BrokerTelemetry.TagCurrent(BrokerTelemetryTags.Jti, jti);
        var lookup = await _store.GetCredentialAsync(taskId, jti, cancellationToken);
        if (lookup is null)
        {
            return RevocationOutcome.Revoked;
        }

        var byRole = caller.HasAnyRole(BrokerRoles.Soc) || string.Equals(caller.Id.Value, lookup.Task.CreatedBy, StringComparison.Ordinal);
        if (!byRole && !string.Equals(caller.Id.Value, lookup.Credential.Holder, StringComparison.Ordinal))
        {
            LogRefused(_logger, jti, caller.Id.Value);
            return RevocationOutcome.NotEntitled;
        }

        if (!byRole && Possession.Check(lookup.Credential.Binding, caller, dpop) is { } unproven)
        {
            LogKeyNotProven(_logger, jti, caller.Id.Value, unproven);
            return unproven == PossessionFailure.TokenNotCovered ? RevocationOutcome.ProofNotCoveringToken : RevocationOutcome.KeyNotProven;
        }

        var at = _time.GetUtcNowMilliseconds();
        var revoked = await _store.RevokeSubtreeAsync(taskId, jti, at, RevocationReasons.Holder, AuditEvents.Create(
            AuditEventTypes.RevocationRecorded, at, caller.Id.Value, lookup.Task, new JsonObject { ["jti"] = jti, ["reason"] = RevocationReasons.Holder }), cancellationToken);
        BrokerTelemetry.TagCurrent(BrokerTelemetryTags.Revoked, revoked);
        if (revoked > 0)
        {
            _signal.WorkAvailable();
        }

        LogRevoked(_logger, jti, taskId, revoked, caller.Id.Value);
        return RevocationOutcome.Revoked;
    }

    [LoggerMessage(EventId = 1300, EventName = "TokenRevoked", Level = LogLevel.Information,
        Message = "Revoked jti {Jti} of task {TaskId} and its subtree ({Revoked} newly revoked) for {Caller}")]
    private static partial void LogRevoked(ILogger logger, string jti, string taskId, int revoked, string caller);

    [LoggerMessage(EventId = 1301, EventName = "RevocationRefused", Level = LogLevel.Warning,
        Message = "Refused to let {Caller} revoke jti {Jti}: not its holder, orchestrator or the SOC")]
    private static partial void LogRefused(ILogger logger, string jti, string caller);

    [LoggerMessage(EventId = 1302, EventName = "RevocationKeyNotProven", Level = LogLevel.Warning,
        Message = "Refused to let holder {Caller} revoke key-bound jti {Jti}: the request does not prove its key ({Failure})")]
    private static partial void LogKeyNotProven(ILogger logger, string jti, string caller, PossessionFailure failure);
}
