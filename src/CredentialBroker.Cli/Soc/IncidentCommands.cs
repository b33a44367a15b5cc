using System.CommandLine;
using System.Text.Json.Nodes;
using Spectre.Console;

namespace CredentialBroker.Cli.Soc;

/// <summary><c>brokerctl incident declare|list|show</c>, <c>brokerctl report exposure|fleet</c> and <c>brokerctl tasks show</c>.</summary>
internal static class IncidentCommands
{
    public static Command Incident()
    {
        var selectors = new Selectors();
        var title = new Option<string>("--title") { Description = "A short description.", Required = true };
        var severity = new Option<string>("--severity") { Description = "low, medium, high or critical.", Required = true };
        severity.AcceptOnlyFromAmong("low", "medium", "high", "critical");
        var notifiedAt = new Option<DateTimeOffset?>("--notified-at") { Description = "When the SOC learned of it (RFC 3339); every exposure window starts here. Default: now." };
        var revoke = new Option<bool>("--revoke") { Description = "Also revoke everything the selector matches." };
        var declareOutput = CliContext.Output();
        var declare = new Command("declare", "Declare an incident, optionally revoking its selector at once.") { title, severity, notifiedAt, revoke, declareOutput };
        selectors.AddTo(declare);
        declare.SetAction((parse, ct) => CliContext.RunAsync(async () =>
        {
            var body = new JsonObject
            {
                ["title"] = parse.GetValue(title),
                ["severity"] = parse.GetValue(severity),
                ["notifiedAt"] = (parse.GetValue(notifiedAt) ?? TimeProvider.System.GetUtcNow()).ToUniversalTime().ToString("O"),
                ["selector"] = selectors.Read(parse),
                ["revoke"] = parse.GetValue(revoke),
            };
            using var broker = CliContext.Client(parse);
            WriteIncidents([await broker.PostJsonAsync("/v1/incidents", body, ct)], parse.GetValue(declareOutput) == "json", single: true);
            return ExitCodes.Success;
        }));

        var listOutput = CliContext.Output();
        var list = new Command("list", "List incidents, newest first.") { listOutput };
        list.SetAction((parse, ct) => CliContext.RunAsync(async () =>
        {
            using var broker = CliContext.Client(parse);
            var incidents = await broker.GetJsonAsync("/v1/incidents", ct);
            WriteIncidents([.. incidents.AsArray().Select(i => i!)], parse.GetValue(listOutput) == "json", single: false);
            return ExitCodes.Success;
        }));

        var showId = new Argument<string>("ID") { Description = "The incident id (inc_…)." };
        var showOutput = CliContext.Output();
        var show = new Command("show", "Show one incident.") { showId, showOutput };
        show.SetAction((parse, ct) => CliContext.RunAsync(async () =>
        {
            using var broker = CliContext.Client(parse);
            WriteIncidents([await broker.GetJsonAsync($"/v1/incidents/{Uri.EscapeDataString(parse.GetValue(showId)!)}", ct)], parse.GetValue(showOutput) == "json", single: true);
            return ExitCodes.Success;
        }));

        return new Command("incident", "Declare and look up SOC incidents.") { declare, list, show };
    }

    public static Command Report()
    {
        var incident = new Option<string>("--incident") { Description = "The incident id (inc_…).", Required = true };
        var format = new Option<string>("--format") { Description = "json, markdown or html (one self-contained file with the chart).", DefaultValueFactory = _ => "html" };
        format.AcceptOnlyFromAmong("json", "markdown", "html");
        var file = new Option<FileInfo?>("--out", "-o") { Description = "Write the report to this file (default: standard output)." };
        var exposure = new Command("exposure", "The exposure-window report of an incident: how long each credential stayed valid after notification.") { incident, format, file };
        exposure.SetAction((parse, ct) => CliContext.RunAsync(async () =>
        {
            using var broker = CliContext.Client(parse);
            var report = await broker.GetTextAsync($"/v1/incidents/{Uri.EscapeDataString(parse.GetValue(incident)!)}/report?format={parse.GetValue(format)}", ct);
            if (parse.GetValue(file) is { } target)
            {
                await File.WriteAllTextAsync(target.FullName, report, ct);
                await Console.Error.WriteLineAsync($"Wrote {target.FullName} ({report.Length:N0} characters).");
            }
            else
            {
                Console.Out.Write(report);
            }

            return ExitCodes.Success;
        }));

        var from = new Option<DateTimeOffset?>("--from") { Description = "Start (RFC 3339). Default: an hour ago." };
        var to = new Option<DateTimeOffset?>("--to") { Description = "End (RFC 3339). Default: now." };
        var fleetOutput = CliContext.Output();
        var fleet = new Command("fleet", "For every trigger kind (completion, state change, TTL, SOC), the time from trigger to verified invalidation.") { from, to, fleetOutput };
        fleet.SetAction((parse, ct) => CliContext.RunAsync(async () =>
        {
            var query = new List<string>();
            if (parse.GetValue(from) is { } start)
            {
                query.Add("from=" + Uri.EscapeDataString(start.ToUniversalTime().ToString("O")));
            }

            if (parse.GetValue(to) is { } end)
            {
                query.Add("to=" + Uri.EscapeDataString(end.ToUniversalTime().ToString("O")));
            }

            using var broker = CliContext.Client(parse);
            var report = await broker.GetJsonAsync("/v1/reports/exposure" + (query.Count > 0 ? "?" + string.Join('&', query) : string.Empty), ct);
            if (parse.GetValue(fleetOutput) == "json")
            {
                CliContext.WriteJson(report);
                return ExitCodes.Success;
            }

            var table = new Table().Title($"Trigger → verified invalid, {Markup.Escape((string)report["from"]!)} to {Markup.Escape((string)report["to"]!)}")
                .AddColumn("trigger").AddColumn(new TableColumn("verified").RightAligned()).AddColumn(new TableColumn("unverified").RightAligned())
                .AddColumn(new TableColumn("p50 s").RightAligned()).AddColumn(new TableColumn("p99 s").RightAligned()).AddColumn(new TableColumn("max s").RightAligned());
            foreach (var (trigger, stats) in report["byTrigger"]!.AsObject())
            {
                var seconds = stats!["secondsToInvalid"]!;
                table.AddRow(Markup.Escape(trigger), $"{(int)stats["count"]!:N0}", $"{(int)stats["unverified"]!:N0}", $"{(double)seconds["p50"]!:0.###}", $"{(double)seconds["p99"]!:0.###}", $"{(double)seconds["max"]!:0.###}");
            }

            AnsiConsole.Write(table);
            return ExitCodes.Success;
        }));

        return new Command("report", "Exposure-window reports.") { exposure, fleet };
    }

    public static Command Tasks()
    {
        var id = new Argument<string>("ID") { Description = "The task id (tsk_…)." };
        var output = CliContext.Output();
        var show = new Command("show", "Show a task, its state and every credential issued under it.") { id, output };
        show.SetAction((parse, ct) => CliContext.RunAsync(async () =>
        {
            using var broker = CliContext.Client(parse);
            var task = await broker.GetJsonAsync($"/v1/tasks/{Uri.EscapeDataString(parse.GetValue(id)!)}", ct);
            if (parse.GetValue(output) == "json")
            {
                CliContext.WriteJson(task);
                return ExitCodes.Success;
            }

            AnsiConsole.MarkupLine($"Task [bold]{Markup.Escape((string)task["taskId"]!)}[/]: {Markup.Escape((string)task["state"]!)}, agent {Markup.Escape((string)task["agent"]!)}, workflow {Markup.Escape((string)task["workflow"]!["id"]!)}, expires {Markup.Escape((string)task["expiresAt"]!)}");
            var table = new Table().AddColumn("jti").AddColumn("kind").AddColumn("holder").AddColumn("audience").AddColumn("status").AddColumn("expires");
            foreach (var credential in task["credentials"]!.AsArray())
            {
                table.AddRow(
                    Markup.Escape((string)credential!["jti"]!), Markup.Escape((string)credential["kind"]!), Markup.Escape((string?)credential["holder"] ?? "-"),
                    Markup.Escape((string?)credential["audience"] ?? "-"), Markup.Escape((string)credential["status"]!), Markup.Escape((string?)credential["expiresAt"] ?? "-"));
            }

            AnsiConsole.Write(table);
            return ExitCodes.Success;
        }));
        return new Command("tasks", "Look up tasks.") { show };
    }

    private static void WriteIncidents(IReadOnlyList<JsonNode> incidents, bool json, bool single)
    {
        if (json)
        {
            CliContext.WriteJson(single ? incidents[0] : new JsonArray([.. incidents.Select(i => i.DeepClone())]));
            return;
        }

        if (single)
        {
            var details = new Table().AddColumn("incident").AddColumn(Markup.Escape((string)incidents[0]["id"]!));
            foreach (var field in new[] { "title", "severity", "notifiedAt", "declaredAt", "declaredBy", "revocationId" })
            {
                details.AddRow(field, Markup.Escape((string?)incidents[0][field] ?? "-"));
            }

            details.AddRow("selector", Markup.Escape(incidents[0]["selector"]!.ToJsonString()));
            AnsiConsole.Write(details);
            return;
        }

        var table = new Table().AddColumn("id").AddColumn("severity").AddColumn("title").AddColumn("notified").AddColumn("selector").AddColumn("revocation");
        foreach (var incident in incidents)
        {
            table.AddRow(
                Markup.Escape((string)incident["id"]!), Markup.Escape((string)incident["severity"]!), Markup.Escape((string)incident["title"]!),
                Markup.Escape((string)incident["notifiedAt"]!), Markup.Escape(incident["selector"]!.ToJsonString()), Markup.Escape((string?)incident["revocationId"] ?? "-"));
        }

        AnsiConsole.Write(table);
    }
}
