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
    public ValueTask<int> ProcessTaskAsync(string taskId, CancellationToken cancellationToken) => ProcessTasksAsync([taskId], cancellationToken);

    /// <summary>Processes every pending credential of <paramref name="taskIds"/> as one batch; returns how many there were.</summary>
    /// <exception cref="StoreUnavailableException">The store did not answer; the work stays queued.</exception>
    public async ValueTask<int> ProcessTasksAsync(IReadOnlyList<string> taskIds, CancellationToken cancellationToken)
    {
        var pending = await _revoker.GetPendingAsync(taskIds, cancellationToken);
        await ProcessBatchAsync(pending, cancellationToken);
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
    public ValueTask ProcessAsync(CredentialRecord credential, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(credential);
        return ProcessBatchAsync([credential], cancellationToken);
    }

    /// <summary>
    /// Finishes the invalidation of many pending (or expired) credentials at once, in the same steps as one: every one is
    /// published on the feed (one store call for the batch), then revoked downstream and verified (at most
    /// <see cref="RevokerOptions.Concurrency"/> downstream calls at once, each with its retries), then every outcome is
    /// recorded (one store call for the batch), then the boundary log gets the secrets' events. The store's work (pending
    /// set, expiry claim) is released by the caller only after this returns, so a crash at any point leaves the whole
    /// batch to be done again; every step is idempotent.
    /// </summary>
    /// <exception cref="StoreUnavailableException">The store did not answer; the credentials stay pending.</exception>
    public async ValueTask ProcessBatchAsync(IReadOnlyList<CredentialRecord> credentials, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(credentials);
        if (credentials.Count == 0)
        {
            return;
        }

        await _feed.PublishAsync([.. credentials.Select(c => new RevocationEvent(
            string.Empty, c.Jti, c.TaskId, c.ExpiresAt, c.RevocationReason ?? RevocationReasons.TtlExpired, c.RevokedAt ?? c.ExpiresAt))], cancellationToken);

        var delivered = new Delivery[credentials.Count];
        if (credentials.Count == 1)
        {
            delivered[0] = await DeliverAsync(credentials[0], cancellationToken);
        }
        else
        {
            await Parallel.ForAsync(0, credentials.Count, new ParallelOptions { MaxDegreeOfParallelism = _options.Concurrency, CancellationToken = cancellationToken }, async (i, ct) =>
                delivered[i] = await DeliverAsync(credentials[i], ct));
        }

        await _revoker.CompleteAsync([.. delivered.Select(d => new DownstreamCompletion(d.Credential, d.Outcome, d.RetryAt))], cancellationToken);

        foreach (var chunk in delivered.Where(d => !d.Outcome.Irrevocable && d.Credential.Kind == CredentialKind.Secret).Chunk(_options.Concurrency))
        {
            await Task.WhenAll(chunk.Select(d => AuditDownstreamAsync(d.Credential, d.Outcome.RevokedAt!.Value, d.Outcome.VerifiedAt, d.Outcome.Attempts, cancellationToken).AsTask()));
        }

        foreach (var (credential, outcome, _) in delivered)
        {
            var reason = credential.RevocationReason ?? RevocationReasons.TtlExpired;
            var triggeredAt = credential.RevokedAt ?? credential.ExpiresAt;
            if (outcome.Irrevocable)
            {
                _metrics.Irrevocable(reason);
                LogIrrevocable(_logger, credential.Jti, credential.TaskId, outcome.Attempts, outcome.LastError!);
                continue;
            }

            var recordedAt = credential.RevokedAt ?? credential.ExpiryProcessedAt ?? triggeredAt;
            _metrics.Lag("recorded", reason, recordedAt - triggeredAt);
            _metrics.Lag("downstream", reason, outcome.RevokedAt!.Value - triggeredAt);
            if (outcome.VerifiedAt is { } verified)
            {
                _metrics.Lag("verified", reason, verified - triggeredAt);
            }
            else
            {
                LogUnverified(_logger, credential.Jti, credential.TaskId);
            }

            _metrics.Processed(reason);
        }
    }

    /// <summary>One credential's downstream outcome, to record with the rest of its batch.</summary>
    private readonly record struct Delivery(CredentialRecord Credential, DownstreamState Outcome, DateTimeOffset? RetryAt);

    /// <summary>Revokes one credential downstream and verifies it (retrying both), in a span of its own; records nothing.</summary>
    private async ValueTask<Delivery> DeliverAsync(CredentialRecord credential, CancellationToken cancellationToken)
    {
        using var activity = StartActivity(BrokerTelemetry.RevocationProcessSpan, credential);
        try
        {
            var delivery = await DeliverCoreAsync(credential, cancellationToken);
            activity?.SetTag(BrokerTelemetryTags.Attempts, delivery.Outcome.Attempts)
                .SetTag(BrokerTelemetryTags.Outcome, delivery.Outcome.Irrevocable ? "irrevocable" : delivery.Outcome.VerifiedAt is null ? "unverified" : "verified");
            return delivery;
        }
        catch (Exception ex)
        {
            BrokerTelemetry.Failed(activity, ex);
            throw;
        }
    }

    private async ValueTask<Delivery> DeliverCoreAsync(CredentialRecord credential, CancellationToken cancellationToken)
    {
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

        return error is null
            ? new Delivery(credential, new DownstreamState(revokedAt, verifiedAt, attempts, false, null), null)
            : new Delivery(credential, new DownstreamState(null, null, attempts, true, error), _time.GetUtcNowMilliseconds() + _options.IrrevocableRetryInterval);
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
