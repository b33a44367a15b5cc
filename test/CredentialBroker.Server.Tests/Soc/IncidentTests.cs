using System.Net;
using System.Text.Json.Nodes;
using CredentialBroker.Testing;

namespace CredentialBroker.Server.Tests.Soc;

/// <summary>Incidents and their exposure-window reports, end to end on a real redis-server; the HTML report in headless Chromium.</summary>
public sealed class IncidentTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private static async Task<(BrokerApp App, HttpClient Soc, JsonObject Incident, List<string> Tokens)> DeclareAsync()
    {
        var app = BrokerApp.Redis();
        var soc = app.As(BrokerApp.Soc);
        using var orchestrator = app.As(BrokerApp.Orchestrator);
        var tokens = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            tokens.Add((await orchestrator.CreateTaskOkAsync(app.AgentId)).Token);
        }

        var notifiedAt = app.Time.GetUtcNow().AddSeconds(-30).UtcDateTime.ToString("O");
        app.Time.Advance(TimeSpan.FromSeconds(2)); // the SOC declares two seconds after the tasks were issued
        using var watch = new RevocationWatch(app);
        var response = await soc.PostAsync("/v1/incidents", Api.Json($$"""
            {"title": "invoice-bot exfiltration", "severity": "critical", "notifiedAt": "{{notifiedAt}}",
             "selector": {"workload": "{{app.AgentId}}"}, "revoke": true}
            """));
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Created), await response.Content.ReadAsStringAsync());
        var incident = await response.JsonAsync();
        await soc.WaitUntilDoneAsync(watch, (string)incident["revocationId"]!, Patience);
        return (app, soc, incident, tokens);
    }

    [Test]
    public async Task A_declared_incident_revokes_its_selector_and_its_report_measures_every_window()
    {
        var (app, soc, incident, tokens) = await DeclareAsync();
        await using var _ = app;
        using var __ = soc;
        var id = (string)incident["id"]!;

        var report = await (await soc.GetAsync($"/v1/incidents/{id}/report")).JsonAsync();
        var listed = JsonNode.Parse(await soc.GetStringAsync("/v1/incidents"))!.AsArray();
        var one = await (await soc.GetAsync($"/v1/incidents/{id}")).JsonAsync();
        var introspected = await soc.IntrospectJsonAsync(tokens[0]);
        var credentials = report["credentials"]!.AsArray();

        Assert.Multiple(() =>
        {
            Assert.That((string)incident["severity"]!, Is.EqualTo("critical"));
            Assert.That(listed.Select(i => (string)i!["id"]!), Does.Contain(id));
            Assert.That((string)one["revocationId"]!, Is.EqualTo((string)incident["revocationId"]!));
            Assert.That((bool)introspected["active"]!, Is.False);
            Assert.That((int)report["summary"]!["credentials"]!, Is.EqualTo(3));
            Assert.That(credentials.Select(c => (string)c!["status"]!), Is.All.EqualTo("verified_dead"));
            // Notified 30 s before issuance, declared 2 s after: each window is the 32 s to the declaration plus the fan-out, plus
            // the 20 s a resource server reading the tokens' status lists may lag (twice the default 10 s ttl).
            Assert.That(credentials.Select(c => (double)c!["exposureSeconds"]!), Is.All.InRange(52.0, 53.0));
            Assert.That((double)report["summary"]!["statusListLagSeconds"]!, Is.EqualTo(20));
            Assert.That((double)report["summary"]!["stillValidShare"]!["1m"]!, Is.Zero);
            Assert.That((double)report["summary"]!["stillValidShare"]!["1h"]!, Is.Zero);
            Assert.That((double)report["summary"]!["baseline"]!["stillValidShare5d"]!, Is.EqualTo(0.916));
            Assert.That((string)report["byWorkload"]![0]!["workload"]!, Is.EqualTo(app.AgentId));
            Assert.That(report["unverified"]!.AsArray(), Is.Empty);
        });
    }

    [Test]
    public async Task A_revocation_started_later_for_an_incident_is_linked_and_its_report_counts_what_was_minted_after_notification()
    {
        await using var app = BrokerApp.Redis();
        using var soc = app.As(BrokerApp.Soc);
        using var orchestrator = app.As(BrokerApp.Orchestrator);
        var before = (await orchestrator.CreateTaskOkAsync(app.AgentId)).Jti;
        var notifiedAt = app.Time.GetUtcNow().UtcDateTime.ToString("O");
        app.Time.Advance(TimeSpan.FromSeconds(5));
        var declared = await (await soc.PostAsync("/v1/incidents", Api.Json($$"""
            {"title": "late containment", "severity": "high", "notifiedAt": "{{notifiedAt}}", "selector": {"workload": "{{app.AgentId}}"}, "revoke": false}
            """))).JsonAsync();
        var id = (string)declared["id"]!;
        app.Time.Advance(TimeSpan.FromSeconds(5));
        var after = (await orchestrator.CreateTaskOkAsync(app.AgentId)).Jti; // minted after the SOC knew
        var reportBefore = await (await soc.GetAsync($"/v1/incidents/{id}/report")).JsonAsync();
        app.Time.Advance(TimeSpan.FromSeconds(5));

        using var watch = new RevocationWatch(app);
        var started = await (await soc.BulkRevokeAsync($$"""{"selector": {"workload": "{{app.AgentId}}"}, "reason": "contain", "incidentId": "{{id}}"}""")).JsonAsync();
        await soc.WaitUntilDoneAsync(watch, (string)started["id"]!, Patience);
        var incident = await (await soc.GetAsync($"/v1/incidents/{id}")).JsonAsync();
        var report = await (await soc.GetAsync($"/v1/incidents/{id}/report")).JsonAsync();

        Assert.Multiple(() =>
        {
            Assert.That(declared["revocationId"], Is.Null, "declared without revoking");
            Assert.That((int)reportBefore["summary"]!["credentials"]!, Is.EqualTo(2), "both credentials were exposed after notification, revoked or not");
            Assert.That((string?)incident["revocationId"], Is.EqualTo((string)started["id"]!), "the later revocation is linked to the incident");
            Assert.That((string?)report["incident"]!["revocationId"], Is.EqualTo((string)started["id"]!));
            Assert.That(report["credentials"]!.AsArray().Select(c => (string)c!["jti"]!), Is.EquivalentTo(new[] { before, after }));
            Assert.That(report["credentials"]!.AsArray().Select(c => (string)c!["status"]!), Is.All.EqualTo("verified_dead"));
        });
    }

    [Test]
    public async Task The_markdown_report_carries_the_numbers_and_an_unknown_incident_or_format_is_refused()
    {
        var (app, soc, incident, _) = await DeclareAsync();
        await using var _ = app;
        using var __ = soc;
        var id = (string)incident["id"]!;

        var markdown = await soc.GetAsync($"/v1/incidents/{id}/report?format=markdown");
        var text = await markdown.Content.ReadAsStringAsync();
        var unknown = await soc.GetAsync("/v1/incidents/inc_unknown/report");
        var badFormat = await soc.GetAsync($"/v1/incidents/{id}/report?format=pdf");
        var badIncident = await soc.PostAsync("/v1/incidents", Api.Json("""{"title": "", "severity": "apocalyptic", "selector": {}}"""));
        var problem = await badIncident.JsonAsync();

        Assert.Multiple(() =>
        {
            Assert.That(markdown.Content.Headers.ContentType?.MediaType, Is.EqualTo("text/markdown"));
            Assert.That(text, Does.Contain("# Exposure-window report: invoice-bot exfiltration").And.Contain("| credentials | 3 |").And.Contain("91.6 %"));
            Assert.That(unknown.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
            Assert.That(badFormat.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(badIncident.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(problem["errors"]!.AsObject().Select(e => e.Key), Is.EquivalentTo(new[] { "title", "severity", "notifiedAt", "selector" }));
        });
    }

    [Test]
    public async Task The_html_report_renders_its_chart_and_numbers_in_headless_chromium()
    {
        var (app, soc, incident, _) = await DeclareAsync();
        await using var _ = app;
        using var __ = soc;
        var html = await soc.GetStringAsync($"/v1/incidents/{(string)incident["id"]!}/report?format=html");

        var rendered = await HeadlessChromium.RenderAsync(html);

        Assert.Multiple(() =>
        {
            Assert.That(rendered.CurveLength, Is.GreaterThan(100), "the curve is drawn");
            Assert.That(rendered.ChartWidth, Is.GreaterThan(300));
            Assert.That(rendered.ChartHeight, Is.GreaterThan(100));
            Assert.That(rendered.Text, Does.Contain("credentials\n3").Or.Contain("credentials3").Or.Contain("credentials 3"));
            Assert.That(rendered.Text, Does.Contain("91.6 %"), "the baseline");
            Assert.That(rendered.Text, Does.Contain("invoice-bot exfiltration"));
        });
    }

    [Test]
    public async Task The_fleet_report_measures_each_trigger_from_the_feed()
    {
        await using var app = BrokerApp.Redis();
        using var soc = app.As(BrokerApp.Soc);
        using var orchestrator = app.As(BrokerApp.Orchestrator);
        await using var feed = app.FollowFeed();
        var (taskId, _, jti) = await orchestrator.CreateTaskOkAsync(app.AgentId);
        (await orchestrator.ChangeStateAsync(taskId, "completed")).EnsureSuccessStatusCode();
        await feed.WaitForRevokedAsync([jti], Patience);
        var from = app.Time.GetUtcNow().AddMinutes(-1).UtcDateTime.ToString("O");

        var report = JsonNode.Parse(await soc.GetStringAsync($"/v1/reports/exposure?from={Uri.EscapeDataString(from)}"))!;
        var empty = JsonNode.Parse(await soc.GetStringAsync($"/v1/reports/exposure?from=2020-01-01T00:00:00Z&to=2020-01-02T00:00:00Z"))!;
        var backwards = await soc.GetAsync("/v1/reports/exposure?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z");

        Assert.Multiple(() =>
        {
            Assert.That((int)report["byTrigger"]!["task_completed"]!["count"]! + (int)report["byTrigger"]!["task_completed"]!["unverified"]!, Is.EqualTo(1));
            Assert.That((int)report["byTrigger"]!["bulk"]!["count"]!, Is.Zero);
            Assert.That((int)empty["byTrigger"]!["task_completed"]!["count"]!, Is.Zero);
            Assert.That(backwards.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        });
    }
}
