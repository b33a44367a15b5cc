using System.Text.Json.Nodes;
using CredentialBroker.Abstractions.Audit;
using CredentialBroker.Abstractions;
using CredentialBroker.Abstractions.Revocation;
using CredentialBroker.Abstractions.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Registry;

namespace CredentialBroker.Revoker;

/// <summary>
/// Finishes the invalidation of a task's pending credentials: publishes each on the revocation feed,
/// revokes it downstream (exponential backoff with jitter between attempts), verifies it is dead, and records
/// the outcome. A credential whose attempts run out is marked irrevocable — logged as an alert, counted, and
/// scheduled for retries at a slower cadence — never silently dropped.
/// </summary>
public sealed partial class RevocationProcessor
{
    private readonly IAuditLog _audit;
    private readonly IRevokerStore _revoker;
    private readonly RevocationFeed _feed;
    private readonly IReadOnlyList<IDownstreamRevoker> _downstream;
    private readonly RevokerOptions _options;
    private readonly RevokerMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger<RevocationProcessor> _logger;
    private readonly ResiliencePipeline _retries;

    /// <summary>Creates the processor.</summary>
    public RevocationProcessor(
        IRevokerStore revoker,
        IAuditLog audit,
        RevocationFeed feed,
        IEnumerable<IDownstreamRevoker> downstream,
        IOptions<RevokerOptions> options,
        RevokerMetrics metrics,
        ResiliencePipelineProvider<string> pipelines,
        [FromKeyedServices(BrokerTime.ServiceKey)] TimeProvider time,
        ILogger<RevocationProcessor> logger)
    {
        ArgumentNullException.ThrowIfNull(pipelines);
        ArgumentNullException.ThrowIfNull(options);
        _revoker = revoker;
        _audit = audit;
        _feed = feed;
        // The most recently registered revoker responsible for a credential handles it, so a host can replace the built-in one.
        _downstream = [.. downstream.Reverse()];
        _options = options.Value;
        _metrics = metrics;
        _time = time;
        _logger = logger;

        _retries = pipelines.GetPipeline(RevokerPipelines.DownstreamRevocation);
    }

    /// <summary>Processes every pending credential of <paramref name="taskId"/>; returns how many there were.</summary>
    /// <exception cref="StoreUnavailableException">The store did not answer; the work stays queued.</exception>
    public async ValueTask<int> ProcessTaskAsync(string taskId, CancellationToken cancellationToken)
    {
        var pending = await _revoker.GetPendingAsync(taskId, cancellationToken);
        foreach (var credential in pending)
        {
            await ProcessAsync(credential, cancellationToken);
        }

        return pending.Count;
    }

    /// <summary>
    /// Revokes a revoked credential downstream once more and records the outcome: an irrevocable one (on success it is no
    /// longer irrevocable), or a downstream secret the backend finished creating after its first revocation had run.
    /// </summary>
    public async ValueTask<bool> RetryAsync(CredentialRecord credential, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(credential);
        using var activity = StartActivity(BrokerTelemetry.RevocationRetrySpan, credential);
        try
        {
            var revoked = await RetryCoreAsync(credential, cancellationToken);
            activity?.SetTag(BrokerTelemetryTags.Outcome, revoked ? "revoked" : "irrevocable");
            return revoked;
        }
        catch (Exception ex)
        {
            BrokerTelemetry.Failed(activity, ex);
            throw;
        }
    }

    private async ValueTask<bool> RetryCoreAsync(CredentialRecord credential, CancellationToken cancellationToken)
    {
        var handler = _downstream.FirstOrDefault(d => d.IsResponsibleFor(credential));
        var attempts = (credential.Downstream?.Attempts ?? 0) + 1;
        string? error;
        try
        {
            if (handler is null)
            {
                throw new InvalidOperationException($"No downstream revoker handles {CredentialKinds.ToWireName(credential.Kind)} credentials.");
            }

            await RevokeTracedAsync(handler, credential, cancellationToken);
            var now = _time.GetUtcNowMilliseconds();
            var verified = await VerifyTracedAsync(handler, credential, cancellationToken) ? now : (DateTimeOffset?)null;
            await _revoker.CompleteAsync(credential, new DownstreamState(now, verified, attempts, false, null), null, cancellationToken);
            await AuditDownstreamAsync(credential, now, verified, attempts, cancellationToken);
            if (credential.Downstream is { Irrevocable: true })
            {
                LogRecovered(_logger, credential.Jti, credential.TaskId, attempts);
            }

            return true;
        }
        catch (Exception ex) when (ex is not (OperationCanceledException or StoreUnavailableException))
        {
            error = Describe(ex);
        }

        var retryAt = _time.GetUtcNowMilliseconds() + _options.IrrevocableRetryInterval;
        await _revoker.CompleteAsync(credential, new DownstreamState(null, null, attempts, true, error), retryAt, cancellationToken);
        return false;
    }

    /// <summary>Finishes the invalidation of one pending credential (see the class summary).</summary>
    /// <exception cref="StoreUnavailableException">The store did not answer; the credential stays pending.</exception>
    public async ValueTask ProcessAsync(CredentialRecord credential, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(credential);
        using var activity = StartActivity(BrokerTelemetry.RevocationProcessSpan, credential);
        try
        {
            await ProcessCoreAsync(credential, cancellationToken);
        }
        catch (Exception ex)
        {
            BrokerTelemetry.Failed(activity, ex);
            throw;
        }
    }

    private async ValueTask ProcessCoreAsync(CredentialRecord credential, CancellationToken cancellationToken)
    {
        var reason = credential.RevocationReason ?? RevocationReasons.TtlExpired;
        var triggeredAt = credential.RevokedAt ?? credential.ExpiresAt;
        var recordedAt = credential.RevokedAt ?? credential.ExpiryProcessedAt ?? triggeredAt;
        await _feed.PublishAsync(new RevocationEvent(string.Empty, credential.Jti, credential.TaskId, credential.ExpiresAt, reason, triggeredAt), cancellationToken);

        var handler = _downstream.FirstOrDefault(d => d.IsResponsibleFor(credential));
        var attempts = 0;
        string? error = null;
        DateTimeOffset revokedAt = default;
        DateTimeOffset? verifiedAt = null;
        if (handler is null)
        {
            error = $"No downstream revoker handles {CredentialKinds.ToWireName(credential.Kind)} credentials.";
        }
        else
        {
            try
            {
                // The probe is part of the attempt: a backend that fails it (unreachable between the revoke and the probe) is
                // tried again, and revoking again is harmless.
                await _retries.ExecuteAsync(async ct =>
                {
                    attempts++;
                    await RevokeTracedAsync(handler, credential, ct);
                    revokedAt = _time.GetUtcNowMilliseconds();
                    verifiedAt = await VerifyTracedAsync(handler, credential, ct) ? _time.GetUtcNowMilliseconds() : null;
                }, cancellationToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                error = Describe(ex);
            }
        }

        var now = _time.GetUtcNowMilliseconds();
        BrokerTelemetry.TagCurrent(BrokerTelemetryTags.Attempts, attempts);
        BrokerTelemetry.TagCurrent(BrokerTelemetryTags.Outcome, error is not null ? "irrevocable" : verifiedAt is null ? "unverified" : "verified");
        if (error is null)
        {
            now = revokedAt;
            await _revoker.CompleteAsync(credential, new DownstreamState(now, verifiedAt, attempts, false, null), null, cancellationToken);
            await AuditDownstreamAsync(credential, now, verifiedAt, attempts, cancellationToken);
            _metrics.Lag("recorded", reason, recordedAt - triggeredAt);
            _metrics.Lag("downstream", reason, now - triggeredAt);
            if (verifiedAt is { } verified)
            {
                _metrics.Lag("verified", reason, verified - triggeredAt);
            }
            else
            {
                LogUnverified(_logger, credential.Jti, credential.TaskId);
            }

            _metrics.Processed(reason);
            return;
        }

        await _revoker.CompleteAsync(credential, new DownstreamState(null, null, attempts, true, error), now + _options.IrrevocableRetryInterval, cancellationToken);
        _metrics.Irrevocable(reason);
        LogIrrevocable(_logger, credential.Jti, credential.TaskId, attempts, error);
    }

    /// <summary>
    /// For a downstream secret, the boundary log records that its revocation reached the backend and, when the probe proved
    /// it dead, that it was verified. (A broker JWT's revocation reaches resource servers through the feed; the exposure
    /// report accounts for those.)
    /// </summary>
    private async ValueTask AuditDownstreamAsync(CredentialRecord credential, DateTimeOffset revokedAt, DateTimeOffset? verifiedAt, int attempts, CancellationToken cancellationToken)
    {
        if (credential.Kind != CredentialKind.Secret)
        {
            return;
        }

        JsonObject Details() => new()
        {
            ["jti"] = credential.Jti,
            ["provider"] = credential.Secret?.Provider,
            ["reason"] = credential.RevocationReason ?? RevocationReasons.TtlExpired,
            ["attempts"] = attempts,
        };
        await _audit.AppendAsync(AuditEvents.Create(AuditEventTypes.RevocationDelivered, revokedAt, AuditEvents.BrokerActor, credential.TaskId, null, Details()), cancellationToken);
        if (verifiedAt is { } verified)
        {
            await _audit.AppendAsync(AuditEvents.Create(AuditEventTypes.RevocationVerified, verified, AuditEvents.BrokerActor, credential.TaskId, null, Details()), cancellationToken);
        }
    }

    /// <summary>A span about one credential: its task, jti, kind, resource, provider and why it was revoked; never the credential.</summary>
    private static System.Diagnostics.Activity? StartActivity(string name, CredentialRecord credential)
    {
        var activity = BrokerTelemetry.Source.StartActivity(name);
        activity?.SetTag(BrokerTelemetryTags.TaskId, credential.TaskId)
            .SetTag(BrokerTelemetryTags.Jti, credential.Jti)
            .SetTag(BrokerTelemetryTags.CredentialKind, CredentialKinds.ToWireName(credential.Kind))
            .SetTag(BrokerTelemetryTags.Resource, credential.Audience)
            .SetTag(BrokerTelemetryTags.Provider, credential.Secret?.Provider)
            .SetTag(BrokerTelemetryTags.RevocationReason, credential.RevocationReason ?? RevocationReasons.TtlExpired);
        return activity;
    }

    private static async ValueTask RevokeTracedAsync(IDownstreamRevoker handler, CredentialRecord credential, CancellationToken cancellationToken)
    {
        using var activity = BrokerTelemetry.Source.StartActivity(BrokerTelemetry.DownstreamRevokeSpan);
        activity?.SetTag(BrokerTelemetryTags.Jti, credential.Jti);
        try
        {
            await handler.RevokeAsync(credential, cancellationToken);
            activity?.SetTag(BrokerTelemetryTags.Outcome, "revoked");
        }
        catch (Exception ex)
        {
            activity?.SetTag(BrokerTelemetryTags.Outcome, "failed");
            BrokerTelemetry.Failed(activity, ex);
            throw;
        }
    }

    private static async ValueTask<bool> VerifyTracedAsync(IDownstreamRevoker handler, CredentialRecord credential, CancellationToken cancellationToken)
    {
        using var activity = BrokerTelemetry.Source.StartActivity(BrokerTelemetry.DownstreamVerifySpan);
        activity?.SetTag(BrokerTelemetryTags.Jti, credential.Jti);
        try
        {
            var dead = await handler.VerifyAsync(credential, cancellationToken);
            activity?.SetTag(BrokerTelemetryTags.Outcome, dead ? "verified" : "still_works");
            return dead;
        }
        catch (Exception ex)
        {
            activity?.SetTag(BrokerTelemetryTags.Outcome, "failed");
            BrokerTelemetry.Failed(activity, ex);
            throw;
        }
    }

    private static string Describe(Exception ex)
    {
        var text = $"{ex.GetType().Name}: {ex.Message}";
        return text.Length <= 500 ? text : text[..500];
    }

    [LoggerMessage(EventId = 1900, EventName = "CredentialIrrevocable", Level = LogLevel.Error,
        Message = "ALERT: downstream revocation of jti {Jti} (task {TaskId}) failed {Attempts} times and is marked irrevocable; retrying on a slower cadence. Last error: {Error}")]
    private static partial void LogIrrevocable(ILogger logger, string jti, string taskId, int attempts, string error);

    [LoggerMessage(EventId = 1901, EventName = "IrrevocableRecovered", Level = LogLevel.Warning,
        Message = "Downstream revocation of jti {Jti} (task {TaskId}) succeeded after {Attempts} attempts; no longer irrevocable")]
    private static partial void LogRecovered(ILogger logger, string jti, string taskId, int attempts);

    [LoggerMessage(EventId = 1902, EventName = "RevocationUnverified", Level = LogLevel.Warning,
        Message = "Revoked jti {Jti} (task {TaskId}) downstream, but the probe says it still works")]
    private static partial void LogUnverified(ILogger logger, string jti, string taskId);
}
