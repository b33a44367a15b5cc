using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CredentialBroker.Cli.CommandLine;
using CredentialBroker.Cli.Soc;
using Spectre.Console;

namespace CredentialBroker.Cli.Audit;

/// <summary>
/// <c>brokerctl audit trace|verify|export</c>: who is accountable for a credential, whether the boundary log is intact,
/// and the log itself as JSON lines for a SIEM. Needs the broker's <c>soc</c> or <c>operator</c> role.
/// </summary>
internal static class AuditCommands
{
    /// <summary>The most events the broker returns in one page.</summary>
    public const int MaxPageSize = 1000;

    private static readonly TimeSpan ProgressEvery = TimeSpan.FromSeconds(2);

    public static Command Create() => new("audit", "The boundary log: trace a credential's accountability chain, verify the log, export it.")
    {
        Trace(),
        Verify(),
        Export(),
    };

    private static Command Trace()
    {
        var jti = new Argument<string>("JTI") { Description = "The credential's id (jti): a task token, delegated token, access token or downstream secret." };
        var output = OutputOption.Create();
        var json = JsonShorthand();
        var command = new Command("trace", "Who is accountable for a credential: the task, its origin, workflow and approval, the orchestrator, agent and every delegate down to it, the decisions and revocations on the way, and whether the events it rests on verify.")
        {
            jti, output, json,
        };
        command.SetAction((parse, ct) => CliContext.RunAsync(async () =>
        {
            using var broker = CliContext.Client(parse);
            var trace = await broker.GetJsonAsync($"/v1/audit/trace?jti={Uri.EscapeDataString(parse.GetValue(jti)!)}", ct);
            var verified = (bool?)trace["verified"] == true;
            if (parse.GetValue(json) || parse.GetValue(output) == OutputOption.Json)
            {
                CliContext.WriteJson(trace);
            }
            else
            {
                var credential = trace["credential"];
                AnsiConsole.MarkupLine($"Accountability trace of {TerminalText.Markup((string?)credential?["kind"])} [bold]{TerminalText.Markup((string?)credential?["jti"])}[/]:");
                AnsiConsole.Write(TraceTree.Build(trace));
                AnsiConsole.MarkupLine(verified ? $"[green]{Markup.Escape(TraceTree.Verdict(trace))}[/]" : $"[red]{Markup.Escape(TraceTree.Verdict(trace))}[/]");
            }

            return verified ? ExitCodes.Success : ExitCodes.Unverified;
        }));
        return command;
    }

    private static Command Verify()
    {
        var from = new Option<string?>("--from")
        {
            Description = "Start at this position (of --chain, else chain 0), or 'checkpoint' for the latest signed checkpoint. Default: each chain's first retained event.",
            HelpName = "SEQ|checkpoint",
            CustomParser = result => result.Tokens is [.., var token]
                ? token.Value == "checkpoint" || (long.TryParse(token.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var seq) && seq >= 1)
                    ? token.Value
                    : Refuse(result, $"--from must be a position (1 or more) or 'checkpoint', not '{token.Value}'; for example --from checkpoint or --from 1200.")
                : null,
        };
        from.CompletionSources.Add("checkpoint");
        var chain = Chain("Verify only this chain (a sharded log has one per shard). Default: every chain.");
        var output = OutputOption.Create();
        var json = JsonShorthand();
        var command = new Command("verify", "Recompute the boundary log's hash chains and check its signed checkpoints; name the first altered, missing or reordered event (exit code 6).")
        {
            from, chain, output, json,
        };
        command.SetAction((parse, ct) => CliContext.RunAsync(async () =>
        {
            var query = new List<string>();
            if (parse.GetValue(from) is { } start)
            {
                query.Add("from=" + start);
            }

            if (parse.GetValue(chain) is { } number)
            {
                query.Add(string.Create(CultureInfo.InvariantCulture, $"chain={number}"));
            }

            using var broker = CliContext.Client(parse);
            var result = await broker.GetJsonAsync("/v1/audit/verify" + (query.Count > 0 ? "?" + string.Join('&', query) : string.Empty), ct);
            var verified = (bool?)result["verified"] == true;
            if (parse.GetValue(json) || parse.GetValue(output) == OutputOption.Json)
            {
                CliContext.WriteJson(result);
                return verified ? ExitCodes.Success : ExitCodes.Unverified;
            }

            var events = ((long?)result["events"] ?? 0).ToString("N0", CultureInfo.InvariantCulture);
            var checkpoints = ((long?)result["checkpoints"] ?? 0).ToString("N0", CultureInfo.InvariantCulture);
            if (verified)
            {
                AnsiConsole.MarkupLine($"[green]verified: yes[/] — {events} events recompute, {checkpoints} signed checkpoints verify with the broker's published keys.");
                return ExitCodes.Success;
            }

            AnsiConsole.MarkupLine(
                $"[red]verified: no[/] — event {TerminalText.Markup(Text(result["firstBadEvent"]))} of chain {TerminalText.Markup(Text(result["chain"]))} is [bold]{TerminalText.Markup(Text(result["reason"]))}[/]: {TerminalText.Markup(Text(result["detail"]))}");
            var table = new Table().AddColumn("first bad event").AddColumn("chain").AddColumn("reason").AddColumn("detail");
            table.AddRow(TerminalText.Markup(Text(result["firstBadEvent"])), TerminalText.Markup(Text(result["chain"])), TerminalText.Markup(Text(result["reason"])), TerminalText.Markup(Text(result["detail"])));
            AnsiConsole.Write(table);
            return ExitCodes.Unverified;
        }));
        return command;
    }

    private static Command Export()
    {
        var since = ValueParsers.Time("--since", "Write only events from this time on (ISO 8601, UTC unless it carries an offset); earlier ones are paged through and skipped. Default: every event.");
        var after = ValueParsers.Number("--after", "Start after this position of the chain (0: from the first retained event). With --out-file, a later position already in the file wins.", "SEQ", 0, long.MaxValue, 1200);
        var chain = Chain("The chain to export (a sharded log has one per shard: export each). Default: 0.");
        var pageSize = ValueParsers.Number("--page-size", $"Events per request, 1 to {MaxPageSize}. Default: {MaxPageSize}.", "N", 1, MaxPageSize, MaxPageSize);
        var file = new Option<FileInfo?>("--out-file", "-f")
        {
            Description = "Append to this file instead of writing to standard output; run again with the same file to resume after the last event in it.",
            HelpName = "FILE",
        };
        var command = new Command("export", "Write the boundary log as JSON lines (one event per line, exactly as the broker returns it) for a SIEM, following it page by page; resumable with --out-file.")
        {
            since, after, chain, pageSize, file,
        };
        command.SetAction((parse, ct) => CliContext.RunAsync(async () =>
        {
            var number = (int)(parse.GetValue(chain) ?? 0);
            var limit = (int)(parse.GetValue(pageSize) ?? MaxPageSize);
            var from = parse.GetValue(after) ?? 0;
            var start = parse.GetValue(since);
            var target = parse.GetValue(file);
            using var broker = CliContext.Client(parse);

            var resumedAfter = (long?)null;
            if (target is not null)
            {
                var resume = ExportFile.Prepare(target.FullName, number);
                if (resume.DroppedPartialLine)
                {
                    await Console.Error.WriteLineAsync($"audit export: dropped a partial last line of {target.FullName} (an interrupted export); its event is fetched again.");
                }

                if (resume.LastSeq is { } last && last > from)
                {
                    (from, resumedAfter) = (last, last);
                }
            }

            Stream output;
            try
            {
                output = target is null ? Console.OpenStandardOutput() : new FileStream(target.FullName, FileMode.Append, FileAccess.Write, FileShare.Read);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new BrokerCliException(ExitCodes.Usage, $"cannot write '{target?.FullName}': {ex.Message}");
            }

            await using (output)
            {
                var exporter = new Exporter(output, number, start, from);
                if (resumedAfter is { } resumed)
                {
                    await Console.Error.WriteLineAsync($"audit export: resuming chain {number} after seq {resumed}, the last event already in {target!.FullName}.");
                }

                await exporter.RunAsync(broker, limit, ct);
                var where = target is null ? "standard output" : target.FullName;
                var range = exporter.Written > 0 ? $" (seq {exporter.FirstWritten} to {exporter.LastWritten})" : string.Empty;
                var skipped = start is { } s && exporter.Skipped > 0 ? $"; {exporter.Skipped:N0} before {Times.Display(s)} skipped" : string.Empty;
                await Console.Error.WriteLineAsync($"audit export: wrote {exporter.Written:N0} events of chain {number}{range} to {where}{skipped}; the chain holds nothing after seq {exporter.After}.");
            }

            return ExitCodes.Success;
        }));
        return command;
    }

    /// <summary>Follows the events endpoint page by page, writing each event as one line.</summary>
    private sealed class Exporter(Stream output, int chain, DateTimeOffset? since, long after)
    {
        private long _lastProgress = TimeProvider.System.GetTimestamp();
        private long _expected = after + 1;

        public long After { get; private set; } = after;

        public long Written { get; private set; }

        public long Skipped { get; private set; }

        public long? FirstWritten { get; private set; }

        public long? LastWritten { get; private set; }

        public async Task RunAsync(BrokerClient broker, int limit, CancellationToken cancellationToken)
        {
            while (true)
            {
                var text = await broker.GetTextAsync(string.Create(CultureInfo.InvariantCulture, $"/v1/audit/events?after={After}&limit={limit}&chain={chain}"), cancellationToken);
                int count;
                long next;
                try
                {
                    using var page = JsonDocument.Parse(text);
                    var events = page.RootElement.GetProperty("events");
                    next = page.RootElement.GetProperty("next").GetInt64();
                    count = events.GetArrayLength();
                    var buffer = new MemoryStream();
                    foreach (var audit in events.EnumerateArray())
                    {
                        Write(audit, buffer);
                    }

                    buffer.Position = 0;
                    await buffer.CopyToAsync(output, cancellationToken);
                    await output.FlushAsync(cancellationToken); // whole lines on disk, page by page: a rerun resumes after them
                }
                catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
                {
                    throw new BrokerCliException(ExitCodes.Unavailable, $"the broker's events page after seq {After} is not what /v1/audit/events documents: {ex.Message}");
                }

                // An entry someone overwrote has no position of its own: step past the page by its length instead.
                var previous = After;
                After = next > After ? next : After + count;
                await ProgressAsync(previous);
                if (count < limit)
                {
                    return;
                }
            }
        }

        private void Write(JsonElement audit, MemoryStream buffer)
        {
            var seq = audit.TryGetProperty("seq", out var s) && s.TryGetInt64(out var position) ? position : -1;
            if (seq > _expected)
            {
                Console.Error.WriteLine($"audit export: chain {chain} holds no events {_expected} to {seq - 1} (trimmed behind a checkpoint, or missing: brokerctl audit verify tells which).");
            }

            _expected = seq > 0 ? seq + 1 : _expected + 1;
            if (since is { } start && audit.TryGetProperty("time", out var time) && time.ValueKind == JsonValueKind.String
                && DateTimeOffset.TryParse(time.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) && at < start)
            {
                Skipped++;
                return;
            }

            // The event's own text as the broker sent it (the page is compact JSON: one event, one line).
            buffer.Write(Encoding.UTF8.GetBytes(audit.GetRawText()));
            buffer.WriteByte((byte)'\n');
            Written++;
            FirstWritten ??= seq;
            LastWritten = seq;
        }

        private async Task ProgressAsync(long previous)
        {
            if (After == previous || TimeProvider.System.GetElapsedTime(_lastProgress) < ProgressEvery)
            {
                return;
            }

            _lastProgress = TimeProvider.System.GetTimestamp();
            await Console.Error.WriteLineAsync($"audit export: chain {chain} through seq {After}: {Written:N0} written, {Skipped:N0} skipped");
        }
    }

    private static Option<long?> Chain(string description) => ValueParsers.Number("--chain", description, "N", 0, 1023, 0);

    /// <summary><c>--json</c>: the same as <c>-o json</c>.</summary>
    private static Option<bool> JsonShorthand() => new("--json") { Description = "The same as -o json: what the broker answered." };

    private static string Text(JsonNode? value) => value switch
    {
        null => "-",
        JsonValue v when v.TryGetValue<string>(out var text) => text,
        _ => value.ToJsonString(),
    };

    private static string? Refuse(System.CommandLine.Parsing.ArgumentResult result, string message)
    {
        result.AddError(message);
        return null;
    }
}
