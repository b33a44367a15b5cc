using System.Text.Json.Nodes;
using CredentialBroker.Abstractions.Audit;
using System.Collections.Concurrent;
using CredentialBroker.Abstractions;
using CredentialBroker.Abstractions.Identity;
using CredentialBroker.Abstractions.Revocation;
using CredentialBroker.Abstractions.Soc;
using CredentialBroker.Abstractions.Storage;
using CredentialBroker.Core.Identity;
using CredentialBroker.Core.Issuance;
using CredentialBroker.Core.Revocation;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CredentialBroker.Soc;

/// <summary>
/// SOC bulk revocation by selector. A request is stored first (and from then on acts as a rule, see
/// <see cref="SocRules"/>), then a replica holding its lease fans it out: the selector's tasks come from the store's
/// indexes, every matched credential's subtree is revoked through the revoker's durable work queue, and progress is
/// stored as it goes. Afterwards the same replica follows the matched credentials until each is revoked downstream
/// and verified dead (or irrevocable), and closes the revocation. A replica that crashes loses nothing: the next
/// lease holder repeats the fan-out, which matches the same credentials (see <see cref="SelectorMatch"/>) and
/// revokes idempotently.
/// </summary>
public sealed partial class BulkRevocationService
{
    private const int MatchBatch = 1000;
    private const int FollowBatch = 20_000;
    private const int ReadChunk = 200;

    private readonly ICredentialStore _store;
    private readonly IAuditLog _audit;
    private readonly ISocStore _soc;
    private readonly SocRules _rules;
    private readonly IRevocationSignal _revoker;
    private readonly SocOptions _options;
    private readonly TimeSpan _ruleWindow;
    private readonly TimeProvider _time;
    private readonly ILogger<BulkRevocationService> _logger;
    private readonly string _owner = "replica-" + Guid.NewGuid().ToString("N");
    private readonly ConcurrentDictionary<string, Dictionary<CredentialRef, bool>> _following = new(StringComparer.Ordinal);

    /// <summary>Creates the service.</summary>
    public BulkRevocationService(
        ICredentialStore store,
        IAuditLog audit,
        ISocStore soc,
        SocRules rules,
        IRevocationSignal revoker,
        IOptions<SocOptions> options,
        IOptions<CredentialBrokerOptions> brokerOptions,
        [FromKeyedServices(BrokerTime.ServiceKey)] TimeProvider time,
        ILogger<BulkRevocationService> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(brokerOptions);
        _store = store;
        _audit = audit;
        _soc = soc;
        _rules = rules;
        _revoker = revoker;
        _options = options.Value;
        _ruleWindow = SocRules.RuleWindow(brokerOptions.Value);
        _time = time;
        _logger = logger;
    }

    /// <summary>Raised (on a thread-pool thread) when a new revocation is stored, so the host can advance it at once.</summary>
    public event EventHandler? RevocationRequested;

    /// <summary>Raised after this replica stored a revocation's progress (the last time with a final status).</summary>
    public event EventHandler<BulkRevocation>? ProgressStored;

    /// <summary>The longest reason a bulk revocation may give.</summary>
    public const int MaxReasonLength = 500;

    /// <summary>
    /// Judges a SOC request to revoke in bulk and, when it is valid, starts it (see <see cref="StartAsync(CallerIdentity, RevocationSelector, string, string?, bool, CancellationToken)"/>).
    /// Every problem is reported at once: a missing or invalid selector, a missing reason, a quarantine without a workload,
    /// an incident that does not exist.
    /// </summary>
    public async ValueTask<BulkRevocationStart> RequestAsync(CallerIdentity caller, BulkRevocationRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        ArgumentNullException.ThrowIfNull(request);
        var errors = CheckSelector(request.Selector);
        if (string.IsNullOrWhiteSpace(request.Reason) || request.Reason.Length > MaxReasonLength)
        {
            errors.Add("reason", $"A reason of 1 to {MaxReasonLength} characters is required: it goes on the feed, in the audit trail and in reports.");
        }

        if (request.Quarantine && request.Selector?.Workload is null)
        {
            errors.Add("quarantine", "A quarantine needs selector.workload: it names the workloads that get no new tasks or exchanges.");
        }

        if (request.IncidentId is { Length: > 0 } incidentId && await _soc.GetIncidentAsync(incidentId, cancellationToken) is null)
        {
            errors.Add("incidentId", $"There is no incident '{incidentId}'.");
        }

        if (errors.Any)
        {
            return new BulkRevocationStart(null, errors);
        }

        var revocation = await StartAsync(caller, request.Selector!, request.Reason!, request.IncidentId is { Length: > 0 } ? request.IncidentId : null, request.Quarantine, cancellationToken);
        return new BulkRevocationStart(revocation, errors);
    }

    /// <summary>The problems with a selector a caller sent (none when it can be used).</summary>
    public static FieldErrors CheckSelector(RevocationSelector? selector)
    {
        var errors = new FieldErrors();
        if (selector is null)
        {
            errors.Add("selector", "A selector is required.");
        }
        else if (selector.Validate() is { } problem)
        {
            errors.Add("selector", problem);
        }

        return errors;
    }

    /// <summary>A bulk revocation, or <see langword="null"/>.</summary>
    public ValueTask<BulkRevocation?> GetAsync(string id, CancellationToken cancellationToken) => _soc.GetRevocationAsync(id, cancellationToken);

    /// <summary>What <paramref name="selector"/> matches now, revoking nothing.</summary>
    public async ValueTask<MatchCounts> DryRunAsync(RevocationSelector selector, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(selector);
        var tally = new MatchTally();
        var asOf = _time.GetUtcNowMilliseconds();
        await ForEachMatchAsync(selector, asOf, matches =>
        {
            foreach (var match in matches)
            {
                tally.Add(match.Matched);
            }

            return ValueTask.CompletedTask;
        }, cancellationToken);
        return tally.Counts();
    }

    /// <summary>Stores a bulk revocation (already judged valid), puts it in force on this replica at once, and hands it to the fan-out.</summary>
    public ValueTask<BulkRevocation> StartAsync(CallerIdentity caller, RevocationSelector selector, string reason, string? incidentId, bool quarantine, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        return StartAsync(caller.Id.Value, selector, reason, incidentId, quarantine, cancellationToken);
    }

    /// <summary>Stores a bulk revocation requested by <paramref name="requestedBy"/> (a SPIFFE ID, or <c>ssf:</c> and a transmitter).</summary>
    public async ValueTask<BulkRevocation> StartAsync(string requestedBy, RevocationSelector selector, string reason, string? incidentId, bool quarantine, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(selector);
        var revocation = new BulkRevocation(
            Identifiers.NewRevocationId(), selector, reason, incidentId, quarantine, requestedBy, _time.GetUtcNowMilliseconds(),
            BulkRevocationStatus.Running, BrokerRevokedAt: null, MatchCounts.None, 0, 0, 0, 0, 0);

        // On the record before it is in force: a revocation nobody can account for is not started.
        await _audit.AppendAsync(AuditEvents.Create(AuditEventTypes.RevocationRequested, revocation.RequestedAt, requestedBy, null, new JsonObject
        {
            ["revocationId"] = revocation.Id,
            ["selector"] = AuditEvents.Selector(selector),
            ["reason"] = reason,
            ["incidentId"] = incidentId,
            ["quarantine"] = quarantine,
        }), cancellationToken);
        await _soc.SaveRevocationAsync(revocation, cancellationToken);
        if (incidentId is not null)
        {
            // A revocation started for an incident (with it, or later) belongs in the incident's report.
            await _soc.LinkRevocationAsync(incidentId, revocation.Id, revocation.RequestedAt, cancellationToken);
        }

        _rules.Apply(revocation);
        LogRequested(_logger, revocation.Id, requestedBy, reason, quarantine);
        RevocationRequested?.Invoke(this, EventArgs.Empty);
        return revocation;
    }

    /// <summary>Lifts the quarantine of a revocation; <see langword="null"/> when there is no such revocation.</summary>
    public async ValueTask<BulkRevocation?> LiftQuarantineAsync(string id, CallerIdentity caller, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        var revocation = await _soc.GetRevocationAsync(id, cancellationToken);
        if (revocation is null || !revocation.Quarantining)
        {
            return revocation;
        }

        // The lift is a field of its own in the store: no concurrent progress write can undo it.
        var lifted = await _soc.LiftQuarantineAsync(id, _time.GetUtcNowMilliseconds(), caller.Id.Value, cancellationToken);
        if (lifted is not null)
        {
            await _audit.AppendAsync(AuditEvents.Create(AuditEventTypes.QuarantineLifted, _time.GetUtcNow(), caller.Id.Value, null,
                new JsonObject { ["revocationId"] = id, ["selector"] = AuditEvents.Selector(lifted.Selector) }), cancellationToken);
            _rules.Apply(lifted);
            LogQuarantineLifted(_logger, id, lifted.QuarantineLiftedBy!);
        }

        return lifted;
    }

    /// <summary>Reloads the revocations in force from the store (rules and quarantines of every replica).</summary>
    public async ValueTask RefreshRulesAsync(CancellationToken cancellationToken)
    {
        var version = _rules.BeginRead();
        var active = await _soc.ListActiveRevocationsAsync(_time.GetUtcNow() - _ruleWindow, cancellationToken);
        _rules.Replace(active, version);
    }

    /// <summary>
    /// Advances every running revocation this replica holds (or can take) the lease of: fans out one not fanned
    /// out yet, then follows its credentials downstream. Returns how many revocations it advanced.
    /// </summary>
    public async ValueTask<int> AdvanceAsync(CancellationToken cancellationToken)
    {
        var advanced = 0;
        var active = await _soc.ListActiveRevocationsAsync(_time.GetUtcNow() - _ruleWindow, cancellationToken);
        foreach (var revocation in active.Where(r => r.Status == BulkRevocationStatus.Running))
        {
            if (!await _soc.TryLeaseAsync("bulk:" + revocation.Id, _owner, _options.Lease, cancellationToken))
            {
                _following.TryRemove(revocation.Id, out _);
                continue;
            }

            var current = revocation.BrokerRevokedAt is not null ? revocation : await FanOutAsync(revocation, cancellationToken);
            await FollowAsync(current, cancellationToken);
            advanced++;
        }

        return advanced;
    }

    private async ValueTask<BulkRevocation> FanOutAsync(BulkRevocation revocation, CancellationToken cancellationToken)
    {
        using var activity = BrokerTelemetry.Source.StartActivity(BrokerTelemetry.BulkRevocationFanOutSpan);
        activity?.SetTag(BrokerTelemetryTags.BulkRevocationId, revocation.Id).SetTag(BrokerTelemetryTags.IncidentId, revocation.IncidentId)
            .SetTag(BrokerTelemetryTags.RevocationReason, RevocationReasons.Bulk);
        try
        {
            var resolved = await FanOutCoreAsync(revocation, cancellationToken);
            activity?.SetTag(BrokerTelemetryTags.Matched, resolved.Matched.Total).SetTag(BrokerTelemetryTags.Outcome, "revoked");
            return resolved;
        }
        catch (Exception ex)
        {
            BrokerTelemetry.Failed(activity, ex);
            throw;
        }
    }

    private async ValueTask<BulkRevocation> FanOutCoreAsync(BulkRevocation revocation, CancellationToken cancellationToken)
    {
        var tally = new MatchTally();
        var pending = new List<CredentialRef>();
        var gate = new Lock();
        var lastSaved = _time.GetTimestamp();
        var saving = new SemaphoreSlim(1, 1);

        async ValueTask FlushAsync(bool force)
        {
            List<CredentialRef> batch;
            lock (gate)
            {
                if (!force && pending.Count < MatchBatch && _time.GetElapsedTime(lastSaved) < _options.ProgressInterval)
                {
                    return;
                }

                batch = [.. pending];
                pending.Clear();
                lastSaved = _time.GetTimestamp();
            }

            await saving.WaitAsync(cancellationToken);
            try
            {
                await _soc.AddMatchesAsync(revocation.Id, batch, cancellationToken);
                var counts = tally.Counts();
                await SaveProgressAsync(revocation with { Matched = counts, Revoked = counts.Total }, cancellationToken);
                await _soc.TryLeaseAsync("bulk:" + revocation.Id, _owner, _options.Lease, cancellationToken);
            }
            finally
            {
                saving.Release();
            }
        }

        // The revocation's request time is its cut: what was live then is matched, whichever attempt fans it out. A chunk of
        // tasks is revoked in one store call (a few work entries and scripts for all their subtrees, see
        // ICredentialStore.RevokeSubtreesAsync), and its matches are saved only after that.
        await ForEachMatchAsync(revocation.Selector, revocation.RequestedAt, async matches =>
        {
            var at = _time.GetUtcNowMilliseconds();
            await _store.RevokeSubtreesAsync([.. matches.SelectMany(m => m.Roots.Select(root => new SubtreeRevocation(m.View.Task.TaskId, root.Jti, at, RevocationReasons.Bulk, AuditEvents.Create(
                AuditEventTypes.RevocationRecorded, at, revocation.RequestedBy, m.View.Task,
                new JsonObject { ["jti"] = root.Jti, ["reason"] = RevocationReasons.Bulk, ["revocationId"] = revocation.Id }))))], cancellationToken);

            _revoker.WorkAvailable();
            foreach (var match in matches)
            {
                tally.Add(match.Matched);
            }

            lock (gate)
            {
                pending.AddRange(matches.SelectMany(m => m.Matched.Select(c => new CredentialRef(c.TaskId, c.Jti))));
            }

            await FlushAsync(force: false);
        }, cancellationToken);
        await FlushAsync(force: true);

        var total = tally.Counts();
        var resolved = revocation with { BrokerRevokedAt = _time.GetUtcNowMilliseconds(), Matched = total, Revoked = total.Total };
        await SaveProgressAsync(resolved, cancellationToken);
        _following.TryRemove(revocation.Id, out _);
        var elapsed = _time.GetUtcNow() - revocation.RequestedAt;
        LogFannedOut(_logger, revocation.Id, total.Total, elapsed);
        return resolved;
    }

    private async ValueTask FollowAsync(BulkRevocation revocation, CancellationToken cancellationToken)
    {
        if (!_following.TryGetValue(revocation.Id, out var remaining))
        {
            // Taking over (or the first look after the fan-out): count from scratch.
            remaining = (await _soc.ReadMatchesAsync(revocation.Id, cancellationToken)).ToDictionary(m => m, _ => false);
            revocation = revocation with { DownstreamRevoked = 0, Verified = 0, Irrevocable = 0, Failed = 0, ByResource = null };
            _following[revocation.Id] = remaining;
        }

        // Read in chunks of records only (their downstream marks), a few chunks at once: one round trip per chunk.
        var batch = remaining.Keys.Take(FollowBatch).ToList();
        var outcomes = new ConcurrentBag<(CredentialRef Ref, CredentialRecord? Record)>();
        await Parallel.ForEachAsync(batch.Chunk(ReadChunk), new ParallelOptions { MaxDegreeOfParallelism = ChunksInFlight, CancellationToken = cancellationToken }, async (chunk, ct) =>
        {
            var records = await _store.GetCredentialRecordsAsync(chunk, ct);
            for (var i = 0; i < chunk.Length; i++)
            {
                outcomes.Add((chunk[i], records[i]));
            }
        });

        int downstream = 0, verified = 0, irrevocable = 0, failed = 0;
        var byResource = new Dictionary<string, ResourceProgress>(revocation.ByResource ?? new Dictionary<string, ResourceProgress>(), StringComparer.Ordinal);
        foreach (var (match, record) in outcomes)
        {
            var state = record?.Downstream;
            if (record is null)
            {
                failed++; // its record is gone: nothing can prove it dead
                remaining.Remove(match);
                continue;
            }

            var resource = record.Audience ?? "broker";
            var progress = byResource.GetValueOrDefault(resource) ?? new ResourceProgress(0, 0, 0);
            if (state?.RevokedAt is not null && !remaining[match])
            {
                remaining[match] = true;
                downstream++;
                progress = progress with { DownstreamRevoked = progress.DownstreamRevoked + 1 };
            }

            if (state?.VerifiedAt is not null)
            {
                verified++;
                remaining.Remove(match);
                progress = progress with { Verified = progress.Verified + 1 };
            }
            else if (state is { Irrevocable: true })
            {
                irrevocable++;
                remaining.Remove(match);
                progress = progress with { Irrevocable = progress.Irrevocable + 1 };
            }

            byResource[resource] = progress;
        }

        var updated = revocation with
        {
            DownstreamRevoked = revocation.DownstreamRevoked + downstream,
            Verified = revocation.Verified + verified,
            Irrevocable = revocation.Irrevocable + irrevocable,
            Failed = revocation.Failed + failed,
            ByResource = byResource,
        };
        if (remaining.Count == 0)
        {
            _following.TryRemove(revocation.Id, out _);
            updated = updated with
            {
                Status = updated.Irrevocable + updated.Failed > 0 ? BulkRevocationStatus.CompletedWithFailures : BulkRevocationStatus.Completed,
                CompletedAt = _time.GetUtcNowMilliseconds(),
            };
            var status = BulkRevocation.ToWireName(updated.Status);
            var elapsed = updated.CompletedAt.Value - updated.RequestedAt;
            LogCompleted(_logger, updated.Id, status, updated.Matched.Total, elapsed);
        }

        if (downstream + verified + irrevocable + failed > 0 || remaining.Count == 0)
        {
            await SaveProgressAsync(updated, cancellationToken);
        }
    }

    /// <summary>Stores progress (a lift of the quarantine is kept by the store: progress writes never touch it).</summary>
    private async ValueTask SaveProgressAsync(BulkRevocation progress, CancellationToken cancellationToken)
    {
        await _soc.SaveRevocationAsync(progress, cancellationToken);
        ProgressStored?.Invoke(this, progress);
    }

    /// <summary>
    /// The selector's matches, task chunk by task chunk: each chunk of <see cref="ReadChunk"/> task ids is read in one store
    /// call, and <see cref="ChunksInFlight"/> chunks are read and handled at once.
    /// </summary>
    private async ValueTask ForEachMatchAsync(
        RevocationSelector selector,
        DateTimeOffset asOf,
        Func<IReadOnlyList<TaskMatch>, ValueTask> onMatches,
        CancellationToken cancellationToken)
    {
        await Parallel.ForEachAsync(_soc.FindTaskIdsAsync(selector, cancellationToken).Chunk(ReadChunk), new ParallelOptions { MaxDegreeOfParallelism = ChunksInFlight, CancellationToken = cancellationToken }, async (taskIds, ct) =>
        {
            var views = await _store.GetTasksAsync(taskIds, ct);
            var matches = new List<TaskMatch>();
            foreach (var view in views.OfType<TaskView>())
            {
                var (matched, roots) = SelectorMatch.InTask(selector, view, asOf, liveOnly: true);
                if (matched.Count > 0)
                {
                    matches.Add(new TaskMatch(view, matched, roots));
                }
            }

            if (matches.Count > 0)
            {
                await onMatches(matches);
            }
        });
    }

    /// <summary>How many chunks of tasks or credentials are read at once: <see cref="SocOptions.Concurrency"/> items in flight, in chunks.</summary>
    private int ChunksInFlight => Math.Max(1, _options.Concurrency / 16);

    /// <summary>What the selector matches in one task, and the roots whose subtrees cover the matches.</summary>
    private readonly record struct TaskMatch(TaskView View, IReadOnlyList<CredentialRecord> Matched, IReadOnlyList<CredentialRecord> Roots);

    /// <summary>Counts matched credentials from many threads.</summary>
    private sealed class MatchTally
    {
        private readonly Lock _gate = new();
        private readonly Dictionary<string, int> _byKind = new(StringComparer.Ordinal);
        private readonly Dictionary<string, int> _byResource = new(StringComparer.Ordinal);
        private int _total;

        public void Add(IReadOnlyList<CredentialRecord> matched)
        {
            lock (_gate)
            {
                foreach (var credential in matched)
                {
                    _total++;
                    var kind = CredentialKinds.ToWireName(credential.Kind);
                    _byKind[kind] = _byKind.GetValueOrDefault(kind) + 1;
                    var resource = credential.Audience ?? "broker";
                    _byResource[resource] = _byResource.GetValueOrDefault(resource) + 1;
                }
            }
        }

        public MatchCounts Counts()
        {
            lock (_gate)
            {
                return new MatchCounts(_total, new Dictionary<string, int>(_byKind, StringComparer.Ordinal), new Dictionary<string, int>(_byResource, StringComparer.Ordinal));
            }
        }
    }

    [LoggerMessage(EventId = 2000, EventName = "BulkRevocationRequested", Level = LogLevel.Warning,
        Message = "Bulk revocation {Id} requested by {Caller}: {Reason} (quarantine: {Quarantine})")]
    private static partial void LogRequested(ILogger logger, string id, string caller, string reason, bool quarantine);

    [LoggerMessage(EventId = 2001, EventName = "BulkRevocationFannedOut", Level = LogLevel.Information,
        Message = "Bulk revocation {Id} revoked {Matched} credentials at the broker, {Elapsed} after the request")]
    private static partial void LogFannedOut(ILogger logger, string id, int matched, TimeSpan elapsed);

    [LoggerMessage(EventId = 2002, EventName = "BulkRevocationCompleted", Level = LogLevel.Information,
        Message = "Bulk revocation {Id} {Status}: {Matched} credentials, {Elapsed} after the request")]
    private static partial void LogCompleted(ILogger logger, string id, string status, int matched, TimeSpan elapsed);

    [LoggerMessage(EventId = 2003, EventName = "QuarantineLifted", Level = LogLevel.Warning,
        Message = "Quarantine of bulk revocation {Id} lifted by {Caller}")]
    private static partial void LogQuarantineLifted(ILogger logger, string id, string caller);
}
