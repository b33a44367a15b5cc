using CredentialBroker.Client.Soc;

namespace CredentialBroker.Server.Tests.Client;

/// <summary>The SOC's calls of CredentialBroker.Client against a broker on a real redis-server.</summary>
public sealed class SocClientTests : IAsyncDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private readonly BrokerApp _app = BrokerApp.Redis();
    private BrokerClients? _clients;

    // The wall clock: watching a revocation waits ProgressInterval between reads.
    private BrokerClients Clients => _clients ??= BrokerClients.For(_app, TimeProvider.System, paths: [BrokerApp.Orchestrator, BrokerApp.Agent, BrokerApp.Soc]);

    private RevocationSelector AgentSelector => new() { Workload = _app.AgentId };

    public async ValueTask DisposeAsync()
    {
        if (_clients is not null)
        {
            await _clients.DisposeAsync();
        }

        _app.Dispose();
    }

    private async Task<(string TaskToken, string AccessToken)> AgentCredentialsAsync()
    {
        var task = (await Clients.Orchestrator().CreateTaskAsync(BrokerClients.Task(_app))).Value;
        var access = (await Clients.Agent().ExchangeAsync(task.Token, "postgres://payments")).Value;
        return (task.Token, access.Token);
    }

    [Test]
    public async Task RevokeAsync_dry_run_counts_what_the_selector_matches_and_revokes_nothing()
    {
        var (taskToken, accessToken) = await AgentCredentialsAsync();

        var preview = (await Clients.Soc().RevokeAsync(new RevocationRequest { Selector = AgentSelector, DryRun = true })).Value;

        Assert.Multiple(async () =>
        {
            Assert.That(preview.DryRun, Is.True);
            Assert.That(preview.Id, Is.Null);
            Assert.That(preview.Matched.Total, Is.EqualTo(2));
            Assert.That((await Clients.Soc().IntrospectAsync(taskToken)).Value.Active, Is.True);
            Assert.That((await Clients.Soc().IntrospectAsync(accessToken)).Value.Active, Is.True);
        });
    }

    [Test]
    public async Task WatchRevocationAsync_follows_a_bulk_revocation_until_it_completes_and_every_credential_is_inactive()
    {
        var (taskToken, accessToken) = await AgentCredentialsAsync();
        var soc = Clients.Soc();
        using var timeout = new CancellationTokenSource(Patience);

        var started = (await soc.RevokeAsync(new RevocationRequest { Selector = AgentSelector, Reason = "drill" }, timeout.Token)).Value;
        var progress = await soc.WatchRevocationAsync(started.Id!, timeout.Token).ToListAsync(timeout.Token);

        Assert.Multiple(async () =>
        {
            Assert.That(started.Id, Does.StartWith("rev_"));
            Assert.That(progress, Is.Not.Empty);
            Assert.That(progress[^1].Status, Is.EqualTo(RevocationStatuses.Completed));
            Assert.That(progress[^1].Revoked, Is.EqualTo(2));
            Assert.That(progress.Take(progress.Count - 1).Select(p => p.IsFinished), Has.None.True, "the last item is the first finished one");
            Assert.That((await soc.IntrospectAsync(taskToken)).Value.Active, Is.False);
            Assert.That((await soc.IntrospectAsync(accessToken)).Value.Active, Is.False);
        });
    }

    [Test]
    public async Task RevokeAsync_by_a_workload_without_the_soc_role_is_forbidden()
    {
        await AgentCredentialsAsync();

        var bySoc = await Clients.Soc().RevokeAsync(new RevocationRequest { Selector = AgentSelector, DryRun = true });
        var byAgent = await Clients.Soc(BrokerApp.Agent).RevokeAsync(new RevocationRequest { Selector = AgentSelector, DryRun = true });

        Assert.Multiple(() =>
        {
            Assert.That(bySoc.IsSuccess, Is.True, bySoc.ToString());
            Assert.That(byAgent.Error?.Status, Is.EqualTo(403));
            Assert.That(byAgent.Error?.Code, Is.EqualTo("forbidden"));
        });
    }

    [Test]
    public async Task DeclareIncidentAsync_revokes_and_its_report_comes_in_every_format()
    {
        var (taskToken, _) = await AgentCredentialsAsync();
        var soc = Clients.Soc();
        using var timeout = new CancellationTokenSource(Patience);

        var incident = (await soc.DeclareIncidentAsync(new IncidentRequest
        {
            Title = "agent exfiltrating invoices",
            Severity = "high",
            NotifiedAt = _app.Time.GetUtcNow().AddMinutes(-1),
            Selector = AgentSelector,
            Revoke = true,
        }, timeout.Token)).Value;
        await soc.WatchRevocationAsync(incident.RevocationId!, timeout.Token).ToListAsync(timeout.Token);
        var json = (await soc.GetIncidentReportAsync(incident.Id, ReportFormat.Json, timeout.Token)).Value;
        var markdown = (await soc.GetIncidentReportAsync(incident.Id, ReportFormat.Markdown, timeout.Token)).Value;
        var html = (await soc.GetIncidentReportAsync(incident.Id, ReportFormat.Html, timeout.Token)).Value;
        var listed = (await soc.ListIncidentsAsync(timeout.Token)).Value;

        Assert.Multiple(async () =>
        {
            Assert.That(incident.Id, Does.StartWith("inc_"));
            Assert.That(incident.Selector, Is.EqualTo(AgentSelector));
            Assert.That((await soc.GetIncidentAsync(incident.Id)).Value.Title, Is.EqualTo("agent exfiltrating invoices"));
            Assert.That(listed.Select(i => i.Id), Does.Contain(incident.Id));
            Assert.That(json.ContentType, Is.EqualTo("application/json"));
            Assert.That(System.Text.Json.Nodes.JsonNode.Parse(json.Content)!["summary"]!["credentials"]!.GetValue<int>(), Is.EqualTo(2));
            Assert.That(markdown.Content, Does.StartWith("# Exposure-window report: agent exfiltrating invoices"));
            Assert.That(html.Content, Does.Contain("<svg"));
            Assert.That((await soc.IntrospectAsync(taskToken)).Value.Active, Is.False);
        });
    }

    [Test]
    public async Task GetIncidentReportAsync_of_an_unknown_incident_is_not_found()
    {
        var soc = Clients.Soc();
        var incident = (await soc.DeclareIncidentAsync(new IncidentRequest
        {
            Title = "nothing yet",
            Severity = "low",
            NotifiedAt = _app.Time.GetUtcNow(),
            Selector = AgentSelector,
        })).Value;

        var known = await soc.GetIncidentReportAsync(incident.Id, ReportFormat.Json);
        var unknown = await soc.GetIncidentReportAsync("inc_unknown", ReportFormat.Json);

        Assert.Multiple(() =>
        {
            Assert.That(known.IsSuccess, Is.True, known.ToString());
            Assert.That(unknown.Error?.Status, Is.EqualTo(404));
            Assert.That(unknown.Error?.Code, Is.EqualTo("not-found"));
        });
    }
}
