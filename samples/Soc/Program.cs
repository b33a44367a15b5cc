// The SOC, with CredentialBroker.Client, against a broker (by default a development-mode broker and its dev credentials):
//   dotnet run --project samples/Soc -- [--workload spiffe://dev.local/agent] [--report exposure.html]
// It counts what the agent could still use (a dry run), declares an incident about the workload that revokes all of it,
// watches the bulk revocation until every credential is verified dead, and writes the incident's HTML exposure-window
// report. Exits non-zero when the broker does not behave so.
using CredentialBroker.Client.Soc;
using CredentialBroker.Samples;
using Microsoft.Extensions.DependencyInjection;

var settings = SampleSettings.Load("soc", args);
var workload = settings.Configuration["workload"] ?? "spiffe://dev.local/agent";
var reportFile = Path.GetFullPath(settings.Configuration["report"] ?? "exposure.html");
return await settings.RunAsync(async () =>
{
    await using var services = settings.Clients("soc");
    if (services is null)
    {
        return 1;
    }

    var soc = services.GetRequiredKeyedService<SocClient>("soc");
    var selector = new RevocationSelector { Workload = workload };
    var preview = settings.Expect(await soc.RevokeAsync(new RevocationRequest { Selector = selector, DryRun = true }), "count what the workload holds");
    if (preview is null)
    {
        return 1;
    }

    settings.Step($"{workload} holds {preview.Matched.Total} live credential(s): {string.Join(", ", preview.Matched.ByKind.Select(k => $"{k.Value} {k.Key}"))}");
    var incident = settings.Expect(await soc.DeclareIncidentAsync(new IncidentRequest
    {
        Title = "Agent exfiltrating invoices (drill)",
        Severity = "high",
        NotifiedAt = TimeProvider.System.GetUtcNow().AddMinutes(-1),
        Selector = selector,
        Revoke = true,
    }), "declare the incident");
    if (incident?.RevocationId is not { } revocationId)
    {
        return incident is null ? 1 : settings.Fail("the incident started no revocation");
    }

    settings.Step($"declared {incident.Id} ({incident.Severity}); bulk revocation {revocationId} started");
    BulkRevocation? last = null;
    await foreach (var progress in soc.WatchRevocationAsync(revocationId))
    {
        settings.Step($"revocation {progress.Status}: matched {progress.Matched.Total}, revoked {progress.Revoked}, downstream {progress.DownstreamRevoked}, verified {progress.Verified}");
        last = progress;
    }

    if (last is not { Status: RevocationStatuses.Completed })
    {
        return settings.Fail($"the revocation ended {last?.Status}");
    }

    var report = settings.Expect(await soc.GetIncidentReportAsync(incident.Id, ReportFormat.Html), "fetch the exposure report");
    if (report is null || !report.Content.Contains("<svg", StringComparison.Ordinal))
    {
        return report is null ? 1 : settings.Fail("the HTML report has no chart");
    }

    await File.WriteAllTextAsync(reportFile, report.Content);
    settings.Step($"wrote the exposure-window report to {reportFile}");
    return 0;
});
