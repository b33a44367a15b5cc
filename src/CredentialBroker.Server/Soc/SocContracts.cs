using System.Text.Json.Serialization;
using CredentialBroker.Abstractions.Soc;
using CredentialBroker.Soc;

namespace CredentialBroker.Server.Soc;

/// <summary>A selector on the wire (<c>POST /v1/revocations</c>, <c>POST /v1/incidents</c>); absent members are left out of answers.</summary>
internal sealed record SelectorBody(
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Workload = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? WorkflowId = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? TaskId = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? ApprovalId = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Approver = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Resource = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? DerivedFrom = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] DateTimeOffset? IssuedAfter = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] DateTimeOffset? IssuedBefore = null)
{
    public RevocationSelector ToSelector() => new(Workload, WorkflowId, TaskId, ApprovalId, Approver, Resource, DerivedFrom, IssuedAfter, IssuedBefore);

    public static SelectorBody From(RevocationSelector s) => new(s.Workload, s.WorkflowId, s.TaskId, s.ApprovalId, s.Approver, s.Resource, s.DerivedFrom, s.IssuedAfter, s.IssuedBefore);
}

/// <summary>The body of <c>POST /v1/revocations</c>.</summary>
internal sealed record BulkRevocationRequest(SelectorBody? Selector, string? Reason, string? IncidentId, bool DryRun = false, bool Quarantine = false);

/// <summary>Match counts on the wire.</summary>
internal sealed record MatchedBody(int Total, IReadOnlyDictionary<string, int> ByKind, IReadOnlyDictionary<string, int> ByResource)
{
    public static MatchedBody From(MatchCounts m) => new(m.Total, m.ByKind, m.ByResource);
}

/// <summary>The answer to a dry run.</summary>
internal sealed record DryRunResponse(bool DryRun, MatchedBody Matched);

/// <summary>A bulk revocation and its progress (<c>GET /v1/revocations/{id}</c>).</summary>
internal sealed record RevocationResponse(
    string Id,
    string Status,
    string Reason,
    string? IncidentId,
    SelectorBody Selector,
    bool Quarantine,
    DateTime? QuarantineLiftedAt,
    MatchedBody Matched,
    int Revoked,
    int DownstreamRevoked,
    int Verified,
    int Irrevocable,
    int Failed,
    string RequestedBy,
    DateTime RequestedAt,
    DateTime? BrokerRevokedAt,
    DateTime? CompletedAt,
    IReadOnlyDictionary<string, ResourceProgressBody> ProgressByResource)
{
    public static RevocationResponse From(BulkRevocation r) => new(
        r.Id, BulkRevocation.ToWireName(r.Status), r.Reason, r.IncidentId, SelectorBody.From(r.Selector), r.Quarantine, r.QuarantineLiftedAt?.UtcDateTime,
        MatchedBody.From(r.Matched), r.Revoked, r.DownstreamRevoked, r.Verified, r.Irrevocable, r.Failed, r.RequestedBy, r.RequestedAt.UtcDateTime, r.BrokerRevokedAt?.UtcDateTime, r.CompletedAt?.UtcDateTime,
        ProgressOf(r));

    /// <summary>Every matched resource, with what is done downstream so far (zeros until the follower reaches it).</summary>
    private static SortedDictionary<string, ResourceProgressBody> ProgressOf(BulkRevocation r)
    {
        var progress = new SortedDictionary<string, ResourceProgressBody>(StringComparer.Ordinal);
        foreach (var (resource, matched) in r.Matched.ByResource)
        {
            var done = r.ByResource?.GetValueOrDefault(resource);
            progress[resource] = new ResourceProgressBody(matched, done?.DownstreamRevoked ?? 0, done?.Verified ?? 0, done?.Irrevocable ?? 0);
        }

        return progress;
    }
}

/// <summary>A bulk revocation's progress on one resource's credentials.</summary>
internal sealed record ResourceProgressBody(int Matched, int DownstreamRevoked, int Verified, int Irrevocable);

/// <summary>The body of <c>POST /v1/incidents</c>.</summary>
internal sealed record DeclareIncidentRequest(string? Title, string? Severity, DateTimeOffset? NotifiedAt, SelectorBody? Selector, bool Revoke = false);

/// <summary>An incident on the wire.</summary>
internal sealed record IncidentResponse(string Id, string Title, string Severity, DateTime NotifiedAt, DateTime DeclaredAt, string DeclaredBy, SelectorBody Selector, string? RevocationId, IReadOnlyList<string> RevocationIds)
{
    public static IncidentResponse From(Incident i) => new(i.Id, i.Title, i.Severity, i.NotifiedAt.UtcDateTime, i.DeclaredAt.UtcDateTime, i.DeclaredBy, SelectorBody.From(i.Selector), i.RevocationId, i.RevocationIds);
}

/// <summary>Exposure percentiles on the wire.</summary>
internal sealed record WindowBody(double P50, double P95, double P99, double Max)
{
    public static WindowBody From(WindowStats w) => new(w.P50, w.P95, w.P99, w.Max);
}

internal sealed record StillValidBody(
    [property: JsonPropertyName("1m")] double Minute,
    [property: JsonPropertyName("1h")] double Hour,
    [property: JsonPropertyName("5d")] double FiveDays);

internal sealed record BaselineBody(string Source, double StillValidShare5d);

internal sealed record SummaryBody(int Credentials, WindowBody ExposureSeconds, StillValidBody StillValidShare, BaselineBody Baseline, double StatusListLagSeconds);

internal sealed record ResourceGroupBody(string Resource, int Credentials, WindowBody ExposureSeconds);

internal sealed record WorkloadGroupBody(string Workload, int Credentials, WindowBody ExposureSeconds);

internal sealed record TimelineBody(
    string Jti, string TaskId, string Kind, string Workload, string? Resource, DateTime IssuedAt, DateTime NotifiedAt, DateTime? RevocationRequestedAt,
    DateTime? BrokerRevokedAt, DateTime? DownstreamRevokedAt, DateTime? VerifiedAt, DateTime ExpiresAt, double ExposureSeconds, string Status);

internal sealed record CurvePointBody(double Seconds, double Share);

/// <summary>The exposure-window report as JSON (<c>GET /v1/incidents/{id}/report</c>).</summary>
internal sealed record ReportResponse(
    IncidentResponse Incident,
    DateTime GeneratedAt,
    SummaryBody Summary,
    IReadOnlyList<ResourceGroupBody> ByResource,
    IReadOnlyList<WorkloadGroupBody> ByWorkload,
    IReadOnlyList<string> Unverified,
    IReadOnlyList<string> Irrevocable,
    IReadOnlyList<TimelineBody> Credentials,
    IReadOnlyList<CurvePointBody> StillValidCurve)
{
    public static ReportResponse From(ExposureReport r) => new(
        IncidentResponse.From(r.Incident),
        r.GeneratedAt.UtcDateTime,
        new SummaryBody(
            r.Summary.Credentials,
            WindowBody.From(r.Summary.ExposureSeconds),
            new StillValidBody(r.Summary.StillValidAfterMinute, r.Summary.StillValidAfterHour, r.Summary.StillValidAfterFiveDays),
            new BaselineBody(ExposureReport.BaselineSource, ExposureReport.BaselineStillValidAfterFiveDays),
            r.StatusListLagSeconds),
        [.. r.ByResource.Select(g => new ResourceGroupBody(g.Name, g.Credentials, WindowBody.From(g.ExposureSeconds)))],
        [.. r.ByWorkload.Select(g => new WorkloadGroupBody(g.Name, g.Credentials, WindowBody.From(g.ExposureSeconds)))],
        r.Unverified,
        r.Irrevocable,
        [.. r.Credentials.Select(t => new TimelineBody(
            t.Jti, t.TaskId, t.Kind, t.Workload, t.Resource, t.IssuedAt.UtcDateTime, t.NotifiedAt.UtcDateTime, t.RevocationRequestedAt?.UtcDateTime,
            t.BrokerRevokedAt?.UtcDateTime, t.DownstreamRevokedAt?.UtcDateTime, t.VerifiedAt?.UtcDateTime, t.ExpiresAt.UtcDateTime, t.ExposureSeconds, t.Status))],
        [.. r.Curve.Select(p => new CurvePointBody(p.Seconds, p.Share))]);
}

internal sealed record TriggerBody(int Count, int Unverified, WindowBody SecondsToInvalid);

/// <summary>The fleet-wide exposure report (<c>GET /v1/reports/exposure</c>).</summary>
internal sealed record FleetResponse(DateTime From, DateTime To, IReadOnlyDictionary<string, TriggerBody> ByTrigger)
{
    public static FleetResponse Of(FleetExposure f) => new(
        f.From.UtcDateTime, f.To.UtcDateTime,
        f.ByTrigger.OrderBy(t => t.Key, StringComparer.Ordinal).ToDictionary(t => t.Key, t => new TriggerBody(t.Value.Count, t.Value.Unverified, WindowBody.From(t.Value.SecondsToInvalid)), StringComparer.Ordinal));
}
