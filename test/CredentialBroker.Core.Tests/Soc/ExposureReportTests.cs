using CredentialBroker.Abstractions.Soc;
using CredentialBroker.Abstractions.Storage;
using CredentialBroker.EmbeddedStore;
using CredentialBroker.Soc;
using Microsoft.Extensions.Time.Testing;

namespace CredentialBroker.Core.Tests.Soc;

/// <summary>The report's arithmetic on synthetic timelines, with the clock driven by a FakeTimeProvider.</summary>
public sealed class ExposureReportTests
{
    private static readonly DateTimeOffset Notified = new(2026, 11, 28, 10, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan StatusListLag = TimeSpan.FromMinutes(1);
    private readonly FakeTimeProvider _time = new(Notified);

    private static readonly Incident Incident = new("inc_1", "agent crossed a boundary", "high", Notified, Notified.AddSeconds(20), "spiffe://a.example/soc", new RevocationSelector(Workload: "spiffe://a.example/agents/"), ["rev_1"]);

    private static readonly BulkRevocation Revocation = new("rev_1", Incident.Selector, "incident", "inc_1", false, "spiffe://a.example/soc", Notified.AddSeconds(20),
        BulkRevocationStatus.Running, Notified.AddSeconds(21), MatchCounts.None, 0, 0, 0, 0, 0);

    private static IEnumerable<(CredentialRecord, DateTimeOffset?)> Revoked(IEnumerable<CredentialRecord> credentials) =>
        credentials.Select(c => (c, (DateTimeOffset?)Revocation.RequestedAt));

    private static CredentialRecord Credential(string jti, string holder, TimeSpan expiresAfter, TimeSpan? verifiedAfter, bool irrevocable = false, string? audience = null) =>
        new(jti, "tsk_1", audience is null ? CredentialKind.Task : CredentialKind.AccessToken, null, holder, Notified.AddMinutes(-5), Notified + expiresAfter,
            RevokedAt: verifiedAfter is { } v ? Notified + v - TimeSpan.FromMilliseconds(5) : null, Audience: audience,
            Downstream: verifiedAfter is { } at ? new DownstreamState(Notified + at - TimeSpan.FromMilliseconds(2), Notified + at, 1, false, null)
                : irrevocable ? new DownstreamState(null, null, 5, true, "provider down") : null);

    [Test]
    public void The_window_ends_at_verification_or_natural_expiry_whichever_is_first_and_never_before_notification()
    {
        _time.Advance(TimeSpan.FromMinutes(2));
        var report = ExposureReport.Build(Incident, Revoked([
            Credential("verified", "spiffe://a.example/agents/a", TimeSpan.FromMinutes(10), TimeSpan.FromSeconds(21)),
            Credential("expired-first", "spiffe://a.example/agents/a", TimeSpan.FromSeconds(90), verifiedAfter: null),
            Credential("expired-before-notice", "spiffe://a.example/agents/b", TimeSpan.FromSeconds(-30), verifiedAfter: null),
            Credential("verified-after-expiry", "spiffe://a.example/agents/b", TimeSpan.FromSeconds(40), TimeSpan.FromSeconds(50)),
        ]), _time.GetUtcNow(), StatusListLag);

        var byJti = report.Credentials.ToDictionary(c => c.Jti);
        Assert.Multiple(() =>
        {
            Assert.That(byJti["verified"].ExposureSeconds, Is.EqualTo(21));
            Assert.That(byJti["verified"].Status, Is.EqualTo("verified_dead"));
            Assert.That(byJti["verified"].RevocationRequestedAt, Is.EqualTo(Revocation.RequestedAt));
            Assert.That(byJti["expired-first"].ExposureSeconds, Is.EqualTo(90));
            Assert.That(byJti["expired-first"].Status, Is.EqualTo("expired"));
            Assert.That(byJti["expired-before-notice"].ExposureSeconds, Is.Zero);
            Assert.That(byJti["verified-after-expiry"].ExposureSeconds, Is.EqualTo(40));
            Assert.That(byJti["verified-after-expiry"].Status, Is.EqualTo("expired"));
        });
    }

    [Test]
    public void Percentiles_shares_and_groups_follow_from_the_windows()
    {
        // 100 credentials with windows of 1..100 s, one irrevocable credential that lives 2 h, one unverified that lives 6 days.
        var credentials = Enumerable.Range(1, 100)
            .Select(i => Credential($"c{i:000}", i % 2 == 0 ? "spiffe://a.example/agents/even" : "spiffe://a.example/agents/odd", TimeSpan.FromHours(1), TimeSpan.FromSeconds(i), audience: i <= 10 ? "postgres://payments" : null))
            .Append(Credential("stuck", "spiffe://a.example/agents/odd", TimeSpan.FromHours(2), verifiedAfter: null, irrevocable: true))
            .Append(Credential("open", "spiffe://a.example/agents/odd", TimeSpan.FromDays(6), verifiedAfter: null))
            .ToList();

        var report = ExposureReport.Build(Incident, Revoked(credentials), _time.GetUtcNow().AddMinutes(3), StatusListLag);

        Assert.Multiple(() =>
        {
            Assert.That(report.Summary.Credentials, Is.EqualTo(102));
            Assert.That(report.Summary.ExposureSeconds.P50, Is.EqualTo(51)); // nearest rank: the 51st of 102
            Assert.That(report.Summary.ExposureSeconds.P95, Is.EqualTo(97));
            Assert.That(report.Summary.ExposureSeconds.P99, Is.EqualTo(7200));
            Assert.That(report.Summary.ExposureSeconds.Max, Is.EqualTo(TimeSpan.FromDays(6).TotalSeconds));
            Assert.That(report.Summary.StillValidAfterMinute, Is.EqualTo(42 / 102.0)); // 61..100 s, stuck and open
            Assert.That(report.Summary.StillValidAfterHour, Is.EqualTo(2 / 102.0));
            Assert.That(report.Summary.StillValidAfterFiveDays, Is.EqualTo(1 / 102.0));
            Assert.That(report.Irrevocable, Is.EqualTo(new[] { "stuck" }));
            Assert.That(report.Unverified, Is.EqualTo(new[] { "open" }));
            Assert.That(report.ByResource.Single(g => g.Name == "postgres://payments").Credentials, Is.EqualTo(10));
            Assert.That(report.ByResource.Single(g => g.Name == "postgres://payments").ExposureSeconds.Max, Is.EqualTo(10));
            Assert.That(report.ByWorkload.Single(g => g.Name == "spiffe://a.example/agents/even").ExposureSeconds.Max, Is.EqualTo(100));
            Assert.That(report.Credentials[0].Jti, Is.EqualTo("open"), "longest window first");
        });
    }

    [Test]
    public void The_curve_falls_from_all_valid_to_none_and_stays_within_the_horizon()
    {
        var report = ExposureReport.Build(Incident, Revoked([
            Credential("a", "spiffe://a.example/agents/a", TimeSpan.FromHours(1), TimeSpan.FromSeconds(1)),
            Credential("b", "spiffe://a.example/agents/a", TimeSpan.FromHours(1), TimeSpan.FromSeconds(100)),
        ]), _time.GetUtcNow(), StatusListLag);

        Assert.Multiple(() =>
        {
            Assert.That(report.Curve[0].Share, Is.EqualTo(1.0));
            Assert.That(report.Curve.Where(p => p.Seconds > 1 && p.Seconds < 100).Select(p => p.Share), Is.All.EqualTo(0.5));
            Assert.That(report.Curve[^1].Share, Is.Zero);
            Assert.That(report.Curve[^1].Seconds, Is.EqualTo(ExposureReport.Horizon.TotalSeconds).Within(1e-6));
            Assert.That(report.Curve.Select(p => p.Share), Is.Ordered.Descending);
        });
    }

    [Test]
    public void A_token_that_names_a_status_list_counts_the_lists_lag_after_verification_up_to_its_expiry()
    {
        var listed = new StatusListEntry("0-0", 7);
        var report = ExposureReport.Build(Incident, Revoked([
            Credential("listed", "spiffe://a.example/agents/a", TimeSpan.FromMinutes(10), TimeSpan.FromSeconds(21)) with { Status = listed },
            Credential("unlisted", "spiffe://a.example/agents/a", TimeSpan.FromMinutes(10), TimeSpan.FromSeconds(21)),
            Credential("listed-expiring", "spiffe://a.example/agents/a", TimeSpan.FromSeconds(50), TimeSpan.FromSeconds(21)) with { Status = listed },
        ]), _time.GetUtcNow(), StatusListLag);

        var byJti = report.Credentials.ToDictionary(c => c.Jti);
        Assert.Multiple(() =>
        {
            Assert.That(byJti["listed"].ExposureSeconds, Is.EqualTo(81), "verified dead at 21 s, and a status list reader may lag 60 s more");
            Assert.That(byJti["unlisted"].ExposureSeconds, Is.EqualTo(21));
            Assert.That(byJti["listed-expiring"].ExposureSeconds, Is.EqualTo(50), "never past its expiry");
            Assert.That(report.StatusListLagSeconds, Is.EqualTo(60));
        });
    }

    [Test]
    public void An_incident_without_credentials_reports_zeros_and_no_curve()
    {
        var report = ExposureReport.Build(Incident, [], _time.GetUtcNow(), StatusListLag);

        Assert.Multiple(() =>
        {
            Assert.That(report.Summary, Is.EqualTo(new ExposureSummary(0, new WindowStats(0, 0, 0, 0), 0, 0, 0)));
            Assert.That(report.Curve, Is.Empty);
        });
    }
}
