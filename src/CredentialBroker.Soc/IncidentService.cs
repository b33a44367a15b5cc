using CredentialBroker.Abstractions.Audit;
using System.Text.Json.Nodes;
using System.Collections.Concurrent;
using CredentialBroker.Abstractions;
using CredentialBroker.Abstractions.Identity;
using CredentialBroker.Abstractions.Soc;
using CredentialBroker.Abstractions.Storage;
using CredentialBroker.Core.Identity;
using CredentialBroker.Core.Issuance;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CredentialBroker.Soc;

/// <summary>How fast each kind of trigger invalidated credentials across the fleet.</summary>
/// <param name="Count">Credentials verified dead after a trigger of this kind.</param>
/// <param name="Unverified">Credentials revoked by such a trigger but not verified dead (yet).</param>
/// <param name="SecondsToInvalid">From the trigger (revocation recorded, or expiry reached) to verified dead.</param>
public sealed record TriggerExposure(int Count, int Unverified, WindowStats SecondsToInvalid);

/// <summary>The fleet-wide report: for every trigger kind, the time from trigger to verified invalidation.</summary>
public sealed record FleetExposure(DateTimeOffset From, DateTimeOffset To, IReadOnlyDictionary<string, TriggerExposure> ByTrigger);

/// <summary>SOC incidents and their exposure-window reports, and the fleet-wide exposure report.</summary>
public sealed partial class IncidentService
{
    private const int Concurrency = 64;

    private readonly ISocStore _soc;
    private readonly IAuditLog _audit;
    private readonly ICredentialStore _store;
    private readonly IRevocationFeed _feed;
    private readonly BulkRevocationService _bulk;
    private readonly TimeSpan _clockSkew;
    private readonly TimeSpan _statusListLag;
    private readonly TimeProvider _time;
    private readonly ILogger<IncidentService> _logger;

    /// <summary>Creates the service.</summary>
    public IncidentService(ISocStore soc, IAuditLog audit, ICredentialStore store, IRevocationFeed feed, BulkRevocationService bulk, IOptions<CredentialBrokerOptions> options, [FromKeyedServices(BrokerTime.ServiceKey)] TimeProvider time, ILogger<IncidentService> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _clockSkew = options.Value.ClockSkew;
        _statusListLag = 2 * options.Value.StatusListTimeToLive;
        _soc = soc;
        _audit = audit;
        _store = store;
        _feed = feed;
        _bulk = bulk;
        _time = time;
        _logger = logger;
    }

    /// <summary>The longest incident title.</summary>
    public const int MaxTitleLength = 200;

    /// <summary>
    /// Declares an incident and, if asked, starts the bulk revocation of its selector. Every problem with the declaration
    /// is reported at once: title, severity, a missing or future notification time (beyond the clock skew), the selector.
    /// </summary>
    public async ValueTask<IncidentDeclared> DeclareAsync(CallerIdentity caller, IncidentDeclaration declaration, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        ArgumentNullException.ThrowIfNull(declaration);
        var errors = BulkRevocationService.CheckSelector(declaration.Selector);
        if (string.IsNullOrWhiteSpace(declaration.Title) || declaration.Title.Length > MaxTitleLength)
        {
            errors.Add("title", $"A title of 1 to {MaxTitleLength} characters is required.");
        }

        if (declaration.Severity is null || !Incident.Severities.Contains(declaration.Severity, StringComparer.Ordinal))
        {
            errors.Add("severity", $"severity must be one of {string.Join(", ", Incident.Severities)}.");
        }

        if (declaration.NotifiedAt is not { } notifiedAt)
        {
            errors.Add("notifiedAt", "notifiedAt (when the SOC learned of the incident, RFC 3339) is required: every exposure window starts there.");
        }
        else if (notifiedAt > _time.GetUtcNow() + _clockSkew)
        {
            errors.Add("notifiedAt", "notifiedAt lies in the future.");
        }

        if (errors.Any)
        {
            return new IncidentDeclared(null, errors);
        }

        var (title, severity, selector) = (declaration.Title!, declaration.Severity!, declaration.Selector!);
        var id = Identifiers.NewIncidentId();
        var incident = new Incident(id, title, severity, declaration.NotifiedAt!.Value, _time.GetUtcNowMilliseconds(), caller.Id.Value, selector, []);

        // Stored before its revocation starts, so the revocation never names an incident that does not exist; starting
        // a revocation for an incident links it (as it does for one started later with the incident's id).
        await _audit.AppendAsync(AuditEvents.Create(AuditEventTypes.IncidentDeclared, incident.DeclaredAt, caller.Id.Value, null, new JsonObject
        {
            ["incidentId"] = id,
            ["title"] = title,
            ["severity"] = severity,
            ["notifiedAt"] = incident.NotifiedAt.ToUnixTimeSeconds(),
            ["selector"] = AuditEvents.Selector(selector),
            ["revoke"] = declaration.Revoke,
        }), cancellationToken);
        await _soc.SaveIncidentAsync(incident, cancellationToken);
        if (declaration.Revoke)
        {
            var revocation = await _bulk.StartAsync(caller, selector, $"incident {id}: {title}", id, quarantine: false, cancellationToken);
            incident = incident with { RevocationIds = [revocation.Id] };
        }

        LogDeclared(_logger, id, severity, caller.Id.Value, declaration.Revoke);
        return new IncidentDeclared(incident, errors);
    }

    /// <summary>An incident, or <see langword="null"/>.</summary>
    public ValueTask<Incident?> GetAsync(string id, CancellationToken cancellationToken) => _soc.GetIncidentAsync(id, cancellationToken);

    /// <summary>Every incident, newest first.</summary>
    public ValueTask<IReadOnlyList<Incident>> ListAsync(CancellationToken cancellationToken) => _soc.ListIncidentsAsync(cancellationToken);

    /// <summary>
    /// The exposure-window report of an incident, or <see langword="null"/> when there is no such incident. The
    /// affected credentials are those its selector reached while live at any time from notification to its last linked
    /// revocation (or to now), and those its linked revocations matched.
    /// </summary>
    public async ValueTask<ExposureReport?> ReportAsync(string id, CancellationToken cancellationToken)
    {
        var incident = await _soc.GetIncidentAsync(id, cancellationToken);
        if (incident is null)
        {
            return null;
        }

        // Affected: what the selector reached from notification until the (last) revocation — or until now, if none
        // was started yet: a credential minted after the SOC knew is as exposed as one live at notification — and
        // everything a linked revocation matched.
        var revocations = new List<BulkRevocation>();
        foreach (var revocationId in incident.RevocationIds)
        {
            if (await _soc.GetRevocationAsync(revocationId, cancellationToken) is { } linked)
            {
                revocations.Add(linked);
            }
        }

        var until = revocations.Count > 0 ? revocations.Max(r => r.RequestedAt) : _time.GetUtcNow();
        var affected = new ConcurrentDictionary<CredentialRef, (CredentialRecord Credential, DateTimeOffset? RevocationRequestedAt)>();
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = Concurrency, CancellationToken = cancellationToken };
        await Parallel.ForEachAsync(_soc.FindTaskIdsAsync(incident.Selector, cancellationToken), parallel, async (taskId, ct) =>
        {
            if (await _store.GetTaskAsync(taskId, ct) is { } view)
            {
                foreach (var credential in SelectorMatch.InTaskDuring(incident.Selector, view, incident.NotifiedAt, until))
                {
                    var revokedBy = revocations.Where(r => r.RequestedAt >= credential.IssuedAt).Select(r => (DateTimeOffset?)r.RequestedAt).Min();
                    affected.TryAdd(new CredentialRef(credential.TaskId, credential.Jti), (credential, revokedBy));
                }
            }
        });

        foreach (var revocation in revocations)
        {
            var matches = await _soc.ReadMatchesAsync(revocation.Id, cancellationToken);
            await Parallel.ForEachAsync(matches.Where(m => !affected.ContainsKey(m)), parallel, async (match, ct) =>
            {
                if (await _store.GetCredentialAsync(match.TaskId, match.Jti, ct) is { } lookup)
                {
                    affected.TryAdd(match, (lookup.Credential, revocation.RequestedAt));
                }
            });
        }

        return ExposureReport.Build(incident, affected.Values, _time.GetUtcNow(), _statusListLag);
    }

    /// <summary>
    /// For every trigger kind, the time from trigger to verified invalidation, over the revocations and expiries the
    /// revocation feed recorded between <paramref name="from"/> and <paramref name="to"/> (the feed keeps them as long
    /// as any credential can live).
    /// </summary>
    public async ValueTask<FleetExposure> FleetAsync(DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken)
    {
        var events = new List<RevocationEvent>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        string? after = null;
        while (true)
        {
            var page = await _feed.ReadAsync(after, 1000, cancellationToken);
            foreach (var revocation in page)
            {
                if (revocation.RevokedAt >= from && revocation.RevokedAt <= to && seen.Add(revocation.Jti))
                {
                    events.Add(revocation);
                }
            }

            if (page.Count < 1000)
            {
                break;
            }

            after = page[^1].Id;
        }

        var measured = new ConcurrentBag<(string Trigger, double? Seconds)>();
        await Parallel.ForEachAsync(events, new ParallelOptions { MaxDegreeOfParallelism = Concurrency, CancellationToken = cancellationToken }, async (revocation, ct) =>
        {
            var verified = (await _store.GetCredentialAsync(revocation.TaskId, revocation.Jti, ct))?.Credential.Downstream?.VerifiedAt;
            measured.Add((revocation.Reason, verified is { } v ? Math.Max(0, (v - revocation.RevokedAt).TotalSeconds) : null));
        });

        var byTrigger = measured
            .GroupBy(m => m.Trigger, StringComparer.Ordinal)
            .ToDictionary(
                g => g.Key,
                g => new TriggerExposure(
                    g.Count(m => m.Seconds is not null),
                    g.Count(m => m.Seconds is null),
                    WindowStats.Of([.. g.Where(m => m.Seconds is not null).Select(m => m.Seconds!.Value)])),
                StringComparer.Ordinal);
        foreach (var trigger in new[] { RevocationReasons.TaskCompleted, RevocationReasons.TaskState, RevocationReasons.TtlExpired, RevocationReasons.Bulk })
        {
            byTrigger.TryAdd(trigger, new TriggerExposure(0, 0, WindowStats.Of([])));
        }

        return new FleetExposure(from, to, byTrigger);
    }

    [LoggerMessage(EventId = 2010, EventName = "IncidentDeclared", Level = LogLevel.Warning,
        Message = "Incident {Id} ({Severity}) declared by {Caller}; revoke: {Revoke}")]
    private static partial void LogDeclared(ILogger logger, string id, string severity, string caller, bool revoke);
}
