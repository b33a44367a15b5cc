using System.CommandLine;
using System.Text.Json.Nodes;
using CredentialBroker.Cli.CommandLine;
using Spectre.Console;

namespace CredentialBroker.Cli.Soc;

/// <summary><c>brokerctl revoke</c> (bulk revocation by selector, with a live progress bar) and <c>brokerctl revocation show|lift-quarantine</c>.</summary>
internal static class RevokeCommands
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(250);

    public static Command Revoke()
    {
        var selectors = new Selectors();
        var reason = new Option<string>("--reason") { Description = "Why (required unless --dry-run): it goes on the feed, in the audit trail and in reports." };
        var incident = new Option<string>("--incident") { Description = "The incident this revocation belongs to." };
        var dryRun = new Option<bool>("--dry-run") { Description = "Count what would be revoked, by kind and resource; revoke nothing." };
        var quarantine = new Option<bool>("--quarantine") { Description = "Also refuse new tasks and exchanges for the selected workloads until lifted (needs --workload)." };
        var noWait = new Option<bool>("--no-wait") { Description = "Return once the broker accepted the revocation, without following it." };
        var output = OutputOption.Create();
        var command = new Command("revoke", "Revoke every credential a selector matches (and everything derived from them), and follow it until verified dead.")
        {
            reason, incident, dryRun, quarantine, noWait, output,
        };
        selectors.AddTo(command);
        command.SetAction((parse, ct) => CliContext.RunAsync(async () =>
        {
            var body = new JsonObject
            {
                ["selector"] = selectors.Read(parse),
                ["dryRun"] = parse.GetValue(dryRun),
                ["quarantine"] = parse.GetValue(quarantine),
            };
            if (parse.GetValue(reason) is { } why)
            {
                body["reason"] = why;
            }

            if (parse.GetValue(incident) is { } incidentId)
            {
                body["incidentId"] = incidentId;
            }

            var json = parse.GetValue(output) == OutputOption.Json;
            using var broker = CliContext.Client(parse);
            var answer = await broker.PostJsonAsync("/v1/revocations", body, ct);
            if (parse.GetValue(dryRun))
            {
                if (json)
                {
                    CliContext.WriteJson(answer);
                }
                else
                {
                    WriteMatched(answer["matched"]!, "Would revoke");
                }

                return ExitCodes.Success;
            }

            var id = (string)answer["id"]!;
            var final = parse.GetValue(noWait) ? answer : await FollowAsync(broker, id, json, ct);
            return Finish(final, json);
        }));
        return command;
    }

    public static Command Revocation()
    {
        var showId = new Argument<string>("ID") { Description = "The revocation id (rev_…)." };
        var showOutput = OutputOption.Create();
        var wait = new Option<bool>("--wait") { Description = "Follow the revocation until it is done (progress bars on a terminal)." };
        var show = new Command("show", "Show a bulk revocation's progress.") { showId, showOutput, wait };
        show.SetAction((parse, ct) => CliContext.RunAsync(async () =>
        {
            using var broker = CliContext.Client(parse);
            var id = parse.GetValue(showId)!;
            var json = parse.GetValue(showOutput) == OutputOption.Json;
            return Finish(
                parse.GetValue(wait) ? await FollowAsync(broker, id, json, ct) : await broker.GetJsonAsync($"/v1/revocations/{Uri.EscapeDataString(id)}", ct),
                json);
        }));

        var liftId = new Argument<string>("ID") { Description = "The revocation id (rev_…)." };
        var liftOutput = OutputOption.Create();
        var lift = new Command("lift-quarantine", "Let the quarantined workloads have new tasks and exchanges again.") { liftId, liftOutput };
        lift.SetAction((parse, ct) => CliContext.RunAsync(async () =>
        {
            using var broker = CliContext.Client(parse);
            var answer = await broker.DeleteAsync($"/v1/revocations/{Uri.EscapeDataString(parse.GetValue(liftId)!)}/quarantine", ct);
            if (parse.GetValue(liftOutput) == OutputOption.Json)
            {
                CliContext.WriteJson(answer);
            }
            else
            {
                AnsiConsole.MarkupLine($"Quarantine of [bold]{TerminalText.Markup((string)answer["id"]!)}[/] lifted at {Times.Display((string?)answer["quarantineLiftedAt"])}.");
            }

            return ExitCodes.Success;
        }));
        return new Command("revocation", "Bulk revocations: show progress, lift a quarantine.") { show, lift };
    }

    /// <summary>Polls the revocation until it is done, with a live progress bar in text mode.</summary>
    private static async Task<JsonNode> FollowAsync(BrokerClient broker, string id, bool json, CancellationToken cancellationToken)
    {
        var path = $"/v1/revocations/{Uri.EscapeDataString(id)}";
        if (json || !AnsiConsole.Profile.Capabilities.Interactive)
        {
            // No terminal to redraw: in text mode, a progress line on stderr whenever the counts move (at most every 2 s).
            var lastLine = string.Empty;
            var lastWritten = TimeProvider.System.GetTimestamp();
            while (true)
            {
                var progress = await broker.GetJsonAsync(path, cancellationToken);
                if ((string)progress["status"]! != "running")
                {
                    return progress;
                }

                var line = $"{id}: matched {(int)progress["matched"]!["total"]!:N0}, revoked {(int)progress["revoked"]!:N0}, downstream {(int)progress["downstreamRevoked"]!:N0}, verified {(int)progress["verified"]!:N0}"
                    + string.Concat(Resources(progress).Select(r => $"; {r.Resource}: verified {r.Verified:N0} of {r.Matched:N0}"));
                if (!json && line != lastLine && TimeProvider.System.GetElapsedTime(lastWritten) >= TimeSpan.FromSeconds(2))
                {
                    await Console.Error.WriteLineAsync(line);
                    (lastLine, lastWritten) = (line, TimeProvider.System.GetTimestamp());
                }

                await Task.Delay(PollInterval, cancellationToken);
            }
        }

        JsonNode last = new JsonObject();
        await AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .StartAsync(async context =>
            {
                var revoked = context.AddTask("revoked at the broker");
                var downstream = context.AddTask("revoked downstream");
                var verified = context.AddTask("verified dead");
                var perResource = new Dictionary<string, ProgressTask>(StringComparer.Ordinal);
                while (true)
                {
                    last = await broker.GetJsonAsync(path, cancellationToken);
                    var total = Math.Max(1, (int)last["matched"]!["total"]!);
                    foreach (var (task, field) in new[] { (revoked, "revoked"), (downstream, "downstreamRevoked"), (verified, "verified") })
                    {
                        task.MaxValue = total;
                        task.Value = (int)last[field]! + (field == "verified" ? (int)last["irrevocable"]! + (int)last["failed"]! : 0);
                    }

                    // One bar per resource once the fan-out has matched them: a database's logins apart from the broker's tokens.
                    foreach (var resource in Resources(last))
                    {
                        if (!perResource.TryGetValue(resource.Resource, out var bar))
                        {
                            perResource[resource.Resource] = bar = context.AddTask(TerminalText.Markup($"{resource.Resource}: verified dead"));
                        }

                        bar.MaxValue = Math.Max(1, resource.Matched);
                        bar.Value = resource.Verified + resource.Irrevocable;
                    }

                    if ((string)last["status"]! != "running")
                    {
                        foreach (var task in new[] { revoked, downstream, verified }.Concat(perResource.Values))
                        {
                            task.Value = task.MaxValue;
                            task.StopTask();
                        }

                        return;
                    }

                    await Task.Delay(PollInterval, cancellationToken);
                }
            });
        return last;
    }

    private static int Finish(JsonNode revocation, bool json)
    {
        var status = (string)revocation["status"]!;
        if (json)
        {
            CliContext.WriteJson(revocation);
        }
        else
        {
            AnsiConsole.MarkupLine($"Bulk revocation [bold]{TerminalText.Markup((string)revocation["id"]!)}[/]:");
            var table = new Table().AddColumn("measure").AddColumn(new TableColumn("value").RightAligned());
            table.AddRow("status", TerminalText.Markup(status));
            table.AddRow("reason", TerminalText.Markup((string?)revocation["reason"] ?? "-"));
            table.AddRow("matched", $"{(int)revocation["matched"]!["total"]!:N0}");
            foreach (var (label, field) in new[] { ("revoked at the broker", "revoked"), ("revoked downstream", "downstreamRevoked"), ("verified dead", "verified"), ("irrevocable", "irrevocable"), ("failed", "failed") })
            {
                table.AddRow(label, $"{(int)revocation[field]!:N0}");
            }

            table.AddRow("requested", Times.Display((string?)revocation["requestedAt"]));
            table.AddRow("completed", Times.Display((string?)revocation["completedAt"]));
            if ((bool?)revocation["quarantine"] == true)
            {
                table.AddRow("quarantine", (string?)revocation["quarantineLiftedAt"] is { } lifted ? $"lifted {Times.Display(lifted)}" : "[yellow]in force[/]");
            }

            AnsiConsole.Write(table);
            WriteMatched(revocation["matched"]!, "Matched");
            WriteResources(revocation);
        }

        return status == "completed_with_failures" ? ExitCodes.Failures : ExitCodes.Success;
    }

    /// <summary>The revocation's progress per resource (<c>progressByResource</c>), by resource name.</summary>
    private static IEnumerable<(string Resource, int Matched, int DownstreamRevoked, int Verified, int Irrevocable)> Resources(JsonNode revocation) =>
        (revocation["progressByResource"]?.AsObject() ?? [])
            .OrderBy(e => e.Key, StringComparer.Ordinal)
            .Select(e => (e.Key, (int)e.Value!["matched"]!, (int)e.Value["downstreamRevoked"]!, (int)e.Value["verified"]!, (int)e.Value["irrevocable"]!));

    private static void WriteResources(JsonNode revocation)
    {
        AnsiConsole.MarkupLine("Per resource (broker: the broker's own tokens):");
        var table = new Table().AddColumn("resource").AddColumn(new TableColumn("matched").RightAligned()).AddColumn(new TableColumn("revoked downstream").RightAligned())
            .AddColumn(new TableColumn("verified dead").RightAligned()).AddColumn(new TableColumn("irrevocable").RightAligned());
        foreach (var resource in Resources(revocation))
        {
            table.AddRow(TerminalText.Markup(resource.Resource), $"{resource.Matched:N0}", $"{resource.DownstreamRevoked:N0}", $"{resource.Verified:N0}", $"{resource.Irrevocable:N0}");
        }

        AnsiConsole.Write(table);
    }

    private static void WriteMatched(JsonNode matched, string title)
    {
        AnsiConsole.MarkupLine($"{title}: {(int)matched["total"]!:N0} credentials");
        var table = new Table().AddColumn("by").AddColumn("name").AddColumn(new TableColumn("credentials").RightAligned());
        foreach (var (by, member) in new[] { ("kind", "byKind"), ("resource", "byResource") })
        {
            foreach (var (name, count) in matched[member]!.AsObject().OrderBy(e => e.Key, StringComparer.Ordinal))
            {
                table.AddRow(by, TerminalText.Markup(name), $"{(int)count!:N0}");
            }
        }

        AnsiConsole.Write(table);
    }
}
