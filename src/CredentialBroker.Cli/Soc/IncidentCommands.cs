using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using CredentialBroker.Cli.CommandLine;
using CredentialBroker.Cli.Tasks;
using Spectre.Console;

namespace CredentialBroker.Cli.Soc;

/// <summary><c>brokerctl incident declare|list|show</c>, <c>brokerctl report exposure|fleet</c> and <c>brokerctl tasks show</c>.</summary>
internal static class IncidentCommands
{
    public static Command Incident()
    {
        var selectors = new Selectors();
        var title = new Option<string>("--title") { Description = "A short description.", Required = true };
        var severity = ValueParsers.Choice("--severity", "How bad it is.", ["low", "medium", "high", "critical"]);
        severity.Required = true;
        var notifiedAt = ValueParsers.Time("--notified-at", "When the SOC learned of it (ISO 8601, UTC unless it carries an offset); every exposure window starts here. Default: now.");
        var revoke = new Option<bool>("--revoke") { Description = "Also revoke everything the selector matches." };
        var declareOutput = OutputOption.Create();
        var declare = new Command("declare", "Declare an incident, optionally revoking its selector at once.") { title, severity, notifiedAt, revoke, declareOutput };
        selectors.AddTo(declare);
        declare.SetAction((parse, ct) => CliContext.RunAsync(async () =>
        {
            var body = new JsonObject
            {
                ["title"] = parse.GetValue(title),
                ["severity"] = parse.GetValue(severity),
                ["notifiedAt"] = Times.Wire(parse.GetValue(notifiedAt) ?? TimeProvider.System.GetUtcNow()),
                ["selector"] = selectors.Read(parse),
                ["revoke"] = parse.GetValue(revoke),
            };
            using var broker = CliContext.Client(parse);
            WriteIncidents([await broker.PostJsonAsync("/v1/incidents", body, ct)], parse.GetValue(declareOutput) == OutputOption.Json, single: true);
            return ExitCodes.Success;
        }));

        var listOutput = OutputOption.Create();
        var list = new Command("list", "List incidents, newest first.") { listOutput };
        list.SetAction((parse, ct) => CliContext.RunAsync(async () =>
        {
            using var broker = CliContext.Client(parse);
            var incidents = await broker.GetJsonAsync("/v1/incidents", ct);
            WriteIncidents([.. incidents.AsArray().Select(i => i!)], parse.GetValue(listOutput) == OutputOption.Json, single: false);
            return ExitCodes.Success;
        }));

        var showId = new Argument<string>("ID") { Description = "The incident id (inc_…)." };
        var showOutput = OutputOption.Create();
        var show = new Command("show", "Show one incident.") { showId, showOutput };
        show.SetAction((parse, ct) => CliContext.RunAsync(async () =>
        {
            using var broker = CliContext.Client(parse);
            WriteIncidents([await broker.GetJsonAsync($"/v1/incidents/{Uri.EscapeDataString(parse.GetValue(showId)!)}", ct)], parse.GetValue(showOutput) == OutputOption.Json, single: true);
            return ExitCodes.Success;
        }));

        return new Command("incident", "Declare and look up SOC incidents.") { declare, list, show };
    }

    public static Command Report()
    {
        var incident = new Option<string>("--incident") { Description = "The incident id (inc_…).", Required = true };
        var output = OutputOption.Create(null, "markdown", "html");
        output.Description = "Output format: table (a summary on the terminal), json, markdown or html (one self-contained page with the chart). Default: table; with --out-file, the file's extension (.html, .md, .json), else html.";
        var file = new Option<FileInfo?>("--out-file", "-f") { Description = "Write the report to this file instead of standard output.", HelpName = "FILE" };
        var formerFormat = new Option<string>("--format")
        {
            Hidden = true,
            CustomParser = result =>
            {
                result.AddError("--format is now -o/--output (the one meaning of -o in every command): for example -o html, and -f/--out-file FILE to write a file.");
                return null;
            },
        };
        var exposure = new Command("exposure", "The exposure-window report of an incident: how long each credential stayed valid after notification.") { incident, output, file, formerFormat };
        exposure.SetAction((parse, ct) => CliContext.RunAsync(async () =>
        {
            var target = parse.GetValue(file);
            var format = parse.GetValue(output) ?? (target is null ? OutputOption.Table : FormatOf(target));
            if (format == OutputOption.Table && target is not null)
            {
                throw new BrokerCliException(ExitCodes.Usage, "a table is for the terminal: with -f/--out-file choose -o html, markdown or json.");
            }

            using var broker = CliContext.Client(parse);
            var path = $"/v1/incidents/{Uri.EscapeDataString(parse.GetValue(incident)!)}/report";
            if (format == OutputOption.Table)
            {
                WriteExposure(await broker.GetJsonAsync(path + "?format=json", ct));
                return ExitCodes.Success;
            }

            var report = await broker.GetTextAsync($"{path}?format={format}", ct);
            if (target is not null)
            {
                await File.WriteAllTextAsync(target.FullName, report, ct);
                await Console.Error.WriteLineAsync($"Wrote {target.FullName} ({format}, {report.Length:N0} characters).");
            }
            else
            {
                Console.Out.Write(report);
            }

            return ExitCodes.Success;
        }));

        var from = ValueParsers.Time("--from", "Start (ISO 8601, UTC unless it carries an offset). Default: an hour ago.");
        var to = ValueParsers.Time("--to", "End (ISO 8601, UTC unless it carries an offset). Default: now.");
        var fleetOutput = OutputOption.Create();
        var fleet = new Command("fleet", "For every trigger kind (completion, state change, TTL, SOC), the time from trigger to verified invalidation.") { from, to, fleetOutput };
        fleet.SetAction((parse, ct) => CliContext.RunAsync(async () =>
        {
            var query = new List<string>();
            if (parse.GetValue(from) is { } start)
            {
                query.Add("from=" + Uri.EscapeDataString(Times.Wire(start)));
            }

            if (parse.GetValue(to) is { } end)
            {
                query.Add("to=" + Uri.EscapeDataString(Times.Wire(end)));
            }

            using var broker = CliContext.Client(parse);
            var report = await broker.GetJsonAsync("/v1/reports/exposure" + (query.Count > 0 ? "?" + string.Join('&', query) : string.Empty), ct);
            if (parse.GetValue(fleetOutput) == OutputOption.Json)
            {
                CliContext.WriteJson(report);
                return ExitCodes.Success;
            }

            AnsiConsole.MarkupLine($"Trigger → verified invalid, {Times.Display((string?)report["from"])} to {Times.Display((string?)report["to"])}:");
            var table = new Table()
                .AddColumn("trigger").AddColumn(new TableColumn("verified").RightAligned()).AddColumn(new TableColumn("unverified").RightAligned())
                .AddColumn(new TableColumn("p50 s").RightAligned()).AddColumn(new TableColumn("p99 s").RightAligned()).AddColumn(new TableColumn("max s").RightAligned());
            foreach (var (trigger, stats) in report["byTrigger"]!.AsObject())
            {
                var seconds = stats!["secondsToInvalid"]!;
                table.AddRow(TerminalText.Markup(trigger), $"{(int)stats["count"]!:N0}", $"{(int)stats["unverified"]!:N0}", $"{(double)seconds["p50"]!:0.###}", $"{(double)seconds["p99"]!:0.###}", $"{(double)seconds["max"]!:0.###}");
            }

            AnsiConsole.Write(table);
            return ExitCodes.Success;
        }));

        return new Command("report", "Exposure-window reports.") { exposure, fleet };
    }

    public static Command Tasks()
    {
        var id = new Argument<string>("ID") { Description = "The task id (tsk_…)." };
        var output = OutputOption.Create();
        var show = new Command("show", "Show a task, its state and every credential issued under it.") { id, output };
        show.SetAction((parse, ct) => CliContext.RunAsync(async () =>
        {
            using var broker = CliContext.Client(parse);
            var task = await broker.GetJsonAsync($"/v1/tasks/{Uri.EscapeDataString(parse.GetValue(id)!)}", ct);
            if (parse.GetValue(output) == OutputOption.Json)
            {
                CliContext.WriteJson(task);
                return ExitCodes.Success;
            }

            AnsiConsole.MarkupLine($"Task [bold]{TerminalText.Markup((string)task["taskId"]!)}[/]: {TerminalText.Markup((string)task["state"]!)}, agent {TerminalText.Markup((string)task["agent"]!)}, workflow {TerminalText.Markup((string)task["workflow"]!["id"]!)}, expires {Times.Display((string?)task["expiresAt"])}");
            var table = new Table().AddColumn("jti").AddColumn("kind").AddColumn("holder").AddColumn("audience").AddColumn("status").AddColumn("expires");
            foreach (var credential in task["credentials"]!.AsArray())
            {
                table.AddRow(
                    TerminalText.Markup((string)credential!["jti"]!), TerminalText.Markup((string)credential["kind"]!), TerminalText.Markup((string?)credential["holder"] ?? "-"),
                    TerminalText.Markup((string?)credential["audience"] ?? "-"), TerminalText.Markup((string)credential["status"]!), Times.Display((string?)credential["expiresAt"]));
            }

            AnsiConsole.Write(table);
            WriteSecrets(task["credentials"]!.AsArray());
            return ExitCodes.Success;
        }));
        return new Command("tasks", "Look up tasks; as an operator, let one continue past its deadline.") { show, ContinueCommand.Create() };
    }

    /// <summary>The task's downstream secrets: which provider, which login or lease (never a password), and whether it is dead yet.</summary>
    private static void WriteSecrets(JsonArray credentials)
    {
        var secrets = credentials.Where(c => c?["secret"] is not null).ToList();
        if (secrets.Count == 0)
        {
            return;
        }

        AnsiConsole.MarkupLine($"Downstream secrets: {secrets.Count:N0}");
        var table = new Table().AddColumn("jti").AddColumn("resource").AddColumn("provider").AddColumn("kind").AddColumn("login or lease").AddColumn("status")
            .AddColumn("revoked downstream").AddColumn("verified dead");
        foreach (var credential in secrets)
        {
            var secret = credential!["secret"]!;
            var downstream = credential["downstream"];
            var status = (string)credential["status"]!;
            if ((bool?)downstream?["irrevocable"] == true)
            {
                status += " (irrevocable)";
            }

            table.AddRow(
                TerminalText.Markup((string)credential["jti"]!), TerminalText.Markup((string?)credential["audience"] ?? "-"), TerminalText.Markup((string?)secret["provider"] ?? "-"),
                TerminalText.Markup((string?)secret["kind"] ?? "-"), TerminalText.Markup((string?)secret["username"] ?? (string?)secret["leaseId"] ?? "-"), TerminalText.Markup(status),
                Times.Display((string?)downstream?["revokedAt"]), Times.Display((string?)downstream?["verifiedAt"]));
        }

        AnsiConsole.Write(table);
    }

    /// <summary>The report format a file's extension asks for; html for any other.</summary>
    private static string FormatOf(FileInfo file) => file.Extension.ToUpperInvariant() switch
    {
        ".MD" or ".MARKDOWN" => "markdown",
        ".JSON" => OutputOption.Json,
        _ => "html",
    };

    /// <summary>The exposure report as tables: the summary beside the GitGuardian baseline, then each credential's window.</summary>
    private static void WriteExposure(JsonNode report)
    {
        var incident = report["incident"];
        var summary = report["summary"];
        AnsiConsole.MarkupLine($"Incident [bold]{TerminalText.Markup((string?)incident?["id"] ?? "?")}[/]: {TerminalText.Markup((string?)incident?["title"] ?? "-")} ({TerminalText.Markup((string?)incident?["severity"] ?? "-")}), notified {Times.Display((string?)incident?["notifiedAt"])}");
        static string Seconds(JsonNode? value) => value is null ? "-" : ((double)value).ToString("0.###", CultureInfo.InvariantCulture);
        static string Share(JsonNode? value) => value is null ? "-" : ((double)value).ToString("0.#%", CultureInfo.InvariantCulture);
        var windows = summary?["exposureSeconds"];
        AnsiConsole.MarkupLine("Exposure after notification:");
        var totals = new Table().AddColumn("measure").AddColumn(new TableColumn("value").RightAligned());
        totals.AddRow("credentials", ((int?)summary?["credentials"] ?? 0).ToString("N0", CultureInfo.InvariantCulture));
        foreach (var percentile in new[] { "p50", "p95", "p99", "max" })
        {
            totals.AddRow($"window {percentile} (s)", Seconds(windows?[percentile]));
        }

        foreach (var after in new[] { "1m", "1h", "5d" })
        {
            totals.AddRow($"still valid after {after}", Share(summary?["stillValidShare"]?[after]));
        }

        totals.AddRow("baseline: leaked secrets still valid after 5d", Share(summary?["baseline"]?["stillValidShare5d"]));
        totals.AddRow("unverified", (report["unverified"]?.AsArray().Count ?? 0).ToString(CultureInfo.InvariantCulture));
        totals.AddRow("irrevocable", (report["irrevocable"]?.AsArray().Count ?? 0).ToString(CultureInfo.InvariantCulture));
        AnsiConsole.Write(totals);

        var credentials = new Table().AddColumn("jti").AddColumn("kind").AddColumn("workload").AddColumn("resource").AddColumn("verified dead")
            .AddColumn("expires").AddColumn(new TableColumn("window s").RightAligned()).AddColumn("status");
        foreach (var credential in report["credentials"]?.AsArray() ?? [])
        {
            credentials.AddRow(
                TerminalText.Markup((string?)credential?["jti"] ?? "-"), TerminalText.Markup((string?)credential?["kind"] ?? "-"), TerminalText.Markup((string?)credential?["workload"] ?? "-"),
                TerminalText.Markup((string?)credential?["resource"] ?? "-"), Times.Display((string?)credential?["verifiedAt"]), Times.Display((string?)credential?["expiresAt"]),
                Seconds(credential?["exposureSeconds"]), TerminalText.Markup((string?)credential?["status"] ?? "-"));
        }

        AnsiConsole.Write(credentials);
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
            var details = new Table().AddColumn("incident").AddColumn(TerminalText.Markup((string)incidents[0]["id"]!));
            foreach (var field in new[] { "title", "severity", "notifiedAt", "declaredAt", "declaredBy", "revocationId" })
            {
                var value = (string?)incidents[0][field];
                details.AddRow(field, field.EndsWith("At", StringComparison.Ordinal) ? Times.Display(value) : TerminalText.Markup(value ?? "-"));
            }

            details.AddRow("selector", Markup.Escape(incidents[0]["selector"]!.ToJsonString()));
            AnsiConsole.Write(details);
            return;
        }

        var table = new Table().AddColumn("id").AddColumn("severity").AddColumn("title").AddColumn("notified").AddColumn("selector").AddColumn("revocation");
        foreach (var incident in incidents)
        {
            table.AddRow(
                TerminalText.Markup((string)incident["id"]!), TerminalText.Markup((string)incident["severity"]!), TerminalText.Markup((string)incident["title"]!),
                Times.Display((string?)incident["notifiedAt"]), Markup.Escape(incident["selector"]!.ToJsonString()), TerminalText.Markup((string?)incident["revocationId"] ?? "-"));
        }

        AnsiConsole.Write(table);
    }
}
