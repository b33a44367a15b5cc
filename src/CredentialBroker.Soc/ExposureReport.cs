using CredentialBroker.Abstractions.Soc;
using CredentialBroker.Abstractions.Storage;

namespace CredentialBroker.Soc;

/// <summary>
/// One affected credential's timeline, and how long it stayed usable after the SOC was notified. Its status is
/// <c>verified_dead</c> (proved dead before it expired), <c>expired</c> (it expired before any proof),
/// <c>irrevocable</c> (its downstream revocation failed; it lives until it expires), or <c>unverified</c> (neither proved
/// dead nor expired yet: its window is provisional and ends at its expiry at the latest).
/// </summary>
public sealed record ExposureTimeline(
    string Jti,
    string TaskId,
    string Kind,
    string Workload,
    string? Resource,
    DateTimeOffset IssuedAt,
    DateTimeOffset NotifiedAt,
    DateTimeOffset? RevocationRequestedAt,
    DateTimeOffset? BrokerRevokedAt,
    DateTimeOffset? DownstreamRevokedAt,
    DateTimeOffset? VerifiedAt,
    DateTimeOffset ExpiresAt,
    double ExposureSeconds,
    string Status);

/// <summary>Percentiles of exposure windows, in seconds (nearest rank; all zero when there is nothing to measure).</summary>
public sealed record WindowStats(double P50, double P95, double P99, double Max)
{
    /// <summary>The statistics of <paramref name="seconds"/>.</summary>
    public static WindowStats Of(IReadOnlyCollection<double> seconds)
    {
        ArgumentNullException.ThrowIfNull(seconds);
        if (seconds.Count == 0)
        {
            return new WindowStats(0, 0, 0, 0);
        }

        var sorted = seconds.Order().ToArray();
        double Rank(double p) => sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];
        return new WindowStats(Rank(0.50), Rank(0.95), Rank(0.99), sorted[^1]);
    }
}

/// <summary>Exposure statistics of one group of credentials (a resource, a workload).</summary>
public sealed record ExposureGroup(string Name, int Credentials, WindowStats ExposureSeconds);

/// <summary>
/// The headline numbers of a report: how many credentials, their windows, and the shares still usable one
/// minute, one hour and five days (the GitGuardian baseline's horizon) after notification.
/// </summary>
public sealed record ExposureSummary(int Credentials, WindowStats ExposureSeconds, double StillValidAfterMinute, double StillValidAfterHour, double StillValidAfterFiveDays);

/// <summary>A point of the "share still valid" curve: seconds since notification, and the share of credentials still usable then.</summary>
public readonly record struct ExposurePoint(double Seconds, double Share);

/// <summary>The exposure-window report of one incident.</summary>
public sealed record ExposureReport(
    Incident Incident,
    DateTimeOffset GeneratedAt,
    ExposureSummary Summary,
    IReadOnlyList<ExposureGroup> ByResource,
    IReadOnlyList<ExposureGroup> ByWorkload,
    IReadOnlyList<string> Unverified,
    IReadOnlyList<string> Irrevocable,
    IReadOnlyList<ExposureTimeline> Credentials,
    IReadOnlyList<ExposurePoint> Curve)
{
    /// <summary>Where the baseline comes from.</summary>
    public const string BaselineSource = "GitGuardian State of Secrets Sprawl 2024";

    /// <summary>Share of leaked secrets still valid five days after their owners were notified, per the baseline.</summary>
    public const double BaselineStillValidAfterFiveDays = 0.916;

    /// <summary>The curve's horizon: five days, the baseline's.</summary>
    public static readonly TimeSpan Horizon = TimeSpan.FromDays(5);

    /// <summary>
    /// How long after it is verified dead a token with a status list entry may still be accepted by a resource server that
    /// reads Token Status Lists: the broker serves one signed list for its ttl, and a resource server keeps its copy as long
    /// again. Counted in every such token's window (<see cref="Build"/>).
    /// </summary>
    public double StatusListLagSeconds { get; init; }

    /// <summary>
    /// Builds the report from the affected credentials' records. The window of a credential is
    /// min(verified dead, natural expiry) − notified, floored at zero: a credential nobody proved dead still stops
    /// working when it expires. A token that names a Token Status List is dead to every resource server only
    /// <paramref name="statusListLag"/> after it is verified dead, so its window ends that much later (still at its expiry at the latest).
    /// </summary>
    /// <param name="incident">The incident.</param>
    /// <param name="credentials">The affected credentials, each with the request time of the revocation that covered it, if any.</param>
    /// <param name="now">When the report is made.</param>
    /// <param name="statusListLag">Twice the broker's <c>StatusListTimeToLive</c>: the longest a status list reader can lag.</param>
    public static ExposureReport Build(Incident incident, IEnumerable<(CredentialRecord Credential, DateTimeOffset? RevocationRequestedAt)> credentials, DateTimeOffset now, TimeSpan statusListLag)
    {
        ArgumentNullException.ThrowIfNull(incident);
        ArgumentNullException.ThrowIfNull(credentials);
        var notified = incident.NotifiedAt;
        var timelines = credentials
            .Select(affected =>
            {
                var c = affected.Credential;
                var verified = c.Downstream?.VerifiedAt;
                var deadEverywhere = c.Status is null ? verified : verified + statusListLag;
                var end = deadEverywhere is { } v && v < c.ExpiresAt ? v : c.ExpiresAt;
                var status = verified is not null && verified < c.ExpiresAt ? "verified_dead"
                    : c.Downstream is { Irrevocable: true } ? "irrevocable"
                    : c.ExpiresAt <= now ? "expired"
                    : "unverified";
                return new ExposureTimeline(
                    c.Jti, c.TaskId, CredentialKinds.ToWireName(c.Kind), c.Holder, c.Audience, c.IssuedAt, notified,
                    affected.RevocationRequestedAt, c.RevokedAt, c.Downstream?.RevokedAt, verified, c.ExpiresAt,
                    Math.Max(0, (end - notified).TotalSeconds), status);
            })
            .OrderByDescending(t => t.ExposureSeconds)
            .ThenBy(t => t.Jti, StringComparer.Ordinal)
            .ToList();

        var windows = timelines.Select(t => t.ExposureSeconds).ToList();
        double StillValid(TimeSpan after) => timelines.Count == 0 ? 0 : windows.Count(w => w > after.TotalSeconds) / (double)timelines.Count;
        static double StillValidShare(double[] sorted, double seconds)
        {
            // The first window longer than 'seconds': every window from there on is still open then.
            var (low, high) = (0, sorted.Length);
            while (low < high)
            {
                var mid = (low + high) / 2;
                (low, high) = sorted[mid] > seconds ? (low, mid) : (mid + 1, high);
            }

            return (sorted.Length - low) / (double)sorted.Length;
        }

        var summary = new ExposureSummary(timelines.Count, WindowStats.Of(windows), StillValid(TimeSpan.FromMinutes(1)), StillValid(TimeSpan.FromHours(1)), StillValid(Horizon));

        static IReadOnlyList<ExposureGroup> Group(IEnumerable<ExposureTimeline> items, Func<ExposureTimeline, string> key) =>
            [.. items.GroupBy(key, StringComparer.Ordinal)
                .Select(g => new ExposureGroup(g.Key, g.Count(), WindowStats.Of([.. g.Select(t => t.ExposureSeconds)])))
                .OrderByDescending(g => g.ExposureSeconds.Max)
                .ThenBy(g => g.Name, StringComparer.Ordinal)];

        // The curve: 121 log-spaced instants from 0.1 s to the horizon.
        var sorted = windows.Order().ToArray();
        var curve = sorted.Length == 0 ? [] : Enumerable.Range(0, 121)
            .Select(i => 0.1 * Math.Pow(Horizon.TotalSeconds / 0.1, i / 120.0))
            .Select(s => new ExposurePoint(s, StillValidShare(sorted, s)))
            .ToList();

        return new ExposureReport(
            incident, now, summary,
            Group(timelines, t => t.Resource ?? "broker"),
            Group(timelines, t => t.Workload),
            [.. timelines.Where(t => t.Status == "unverified").Select(t => t.Jti)],
            [.. timelines.Where(t => t.Status == "irrevocable").Select(t => t.Jti)],
            timelines,
            curve)
        {
            StatusListLagSeconds = statusListLag.TotalSeconds,
        };
    }
}
