using System.CommandLine;
using System.Text.Json.Nodes;
using CredentialBroker.Cli.CommandLine;
using CredentialBroker.Testing;

namespace CredentialBroker.Cli.Tests;

/// <summary>What every brokerctl command shares: one meaning of -o, plain parse errors, unwrapped tables, one time format.</summary>
public sealed class CommandLineTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("cb-cli-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static IEnumerable<Command> Leaves(Command command) =>
        command.Subcommands.Count == 0 ? [command] : command.Subcommands.SelectMany(Leaves);

    private static string Path(Command command) => command.Parents.OfType<Command>().FirstOrDefault() is { } parent && parent is not RootCommand ? Path(parent) + " " + command.Name : command.Name;

    private static IReadOnlyList<string> Errors(params string[] arguments) => [.. BrokerCtl.Create().Parse(arguments).Errors.Select(e => e.Message)];

    [Test]
    public void Every_command_takes_dash_o_for_its_output_format_table_or_json_and_nothing_else()
    {
        // completion prints a script, audit export JSON lines: neither has a format to choose.
        var commands = Leaves(BrokerCtl.Create()).Where(c => c.Name is not ("completion" or "export")).ToList();

        Assert.Multiple(() =>
        {
            Assert.That(commands.Select(Path), Is.SupersetOf(new[] { "revoke", "revocation show", "incident declare", "report exposure", "report fleet", "tasks show", "tasks continue", "audit trace", "audit verify", "policy test", "dev identities", "trust init", "trust svid" }));
            foreach (var command in commands)
            {
                var output = command.Options.SingleOrDefault(o => o.Name == "--output");
                Assert.That(output, Is.Not.Null, $"{Path(command)} has no --output");
                Assert.That(output!.Aliases, Does.Contain("-o"), $"{Path(command)}: -o is not --output");
                Assert.That(output.HelpName, Does.StartWith("table|json"), Path(command));
                Assert.That(command.Options.Where(o => o != output).SelectMany(o => o.Aliases), Does.Not.Contain("-o"), $"{Path(command)} gives -o another meaning");
            }
        });
    }

    [Test]
    public void The_report_file_is_dash_f_and_a_file_name_after_dash_o_is_refused_with_the_way_to_write_it()
    {
        var asFile = Errors("report", "exposure", "--incident", "inc_1", "-o", "INC-2211.html");
        var formerFormat = Errors("report", "exposure", "--incident", "inc_1", "--format", "html");
        var right = Errors("report", "exposure", "--incident", "inc_1", "-o", "html", "-f", "INC-2211.html");

        Assert.Multiple(() =>
        {
            Assert.That(asFile, Is.EqualTo(new[] { "-o/--output must be table, json, markdown or html, not 'INC-2211.html'; for example -o json. To write to a file, use -f/--out-file INC-2211.html." }));
            Assert.That(formerFormat.Single(), Does.StartWith("--format is now -o/--output"));
            Assert.That(right, Is.Empty);
        });
    }

    [TestCase("incident", "declare", "--title", "t", "--severity", "high", "--workload", "spiffe://a.example/x", "--notified-at")]
    [TestCase("revoke", "--workflow", "wf", "--issued-after")]
    [TestCase("revoke", "--workflow", "wf", "--issued-before")]
    [TestCase("report", "fleet", "--from")]
    [TestCase("report", "fleet", "--to")]
    [TestCase("audit", "export", "--since")]
    public void A_time_that_is_not_ISO_8601_is_refused_in_plain_words_and_an_ISO_8601_one_is_read(params string[] command)
    {
        var option = command[^1];
        var bad = Errors([.. command, "yesterday"]);
        var good = BrokerCtl.Create().Parse([.. command, "2026-11-28T11:02:00.5+01:00"]);

        Assert.Multiple(() =>
        {
            Assert.That(bad, Is.EqualTo(new[] { $"{option} must be an ISO 8601 time, not 'yesterday'; for example {option} 2026-11-28T10:02:00Z (UTC) or 2026-11-28T11:02:00+01:00." }));
            Assert.That(good.Errors, Is.Empty);
            Assert.That(good.GetValue<DateTimeOffset?>(option), Is.EqualTo(new DateTimeOffset(2026, 11, 28, 10, 2, 0, 500, TimeSpan.Zero)));
        });
    }

    [Test]
    public void A_word_outside_a_fixed_set_is_refused_naming_the_option_the_choices_and_an_example()
    {
        var badSeverity = Errors("incident", "declare", "--title", "t", "--severity", "urgent", "--workflow", "wf");
        var badOutput = Errors("incident", "list", "-o", "yaml");
        var goodSeverity = Errors("incident", "declare", "--title", "t", "--severity", "critical", "--workflow", "wf");
        var formerTextOutput = BrokerCtl.Create().Parse(["incident", "list", "-o", "text"]);

        Assert.Multiple(() =>
        {
            Assert.That(badSeverity, Is.EqualTo(new[] { "--severity must be low, medium, high or critical, not 'urgent'; for example --severity critical." }));
            Assert.That(badOutput, Is.EqualTo(new[] { "-o/--output must be table or json, not 'yaml'; for example -o json." }));
            Assert.That(goodSeverity, Is.Empty);
            Assert.That(formerTextOutput.GetValue<string>("--output"), Is.EqualTo("table"), "'text', the former name of the table format, still works");
        });
    }

    [TestCase(new[] { "audit", "verify", "--from", "latest" }, "--from must be a position (1 or more) or 'checkpoint', not 'latest'; for example --from checkpoint or --from 1200.", new[] { "audit", "verify", "--from", "checkpoint" })]
    [TestCase(new[] { "audit", "verify", "--from", "0" }, "--from must be a position (1 or more) or 'checkpoint', not '0'; for example --from checkpoint or --from 1200.", new[] { "audit", "verify", "--from", "1" })]
    [TestCase(new[] { "audit", "verify", "--chain", "two" }, "--chain must be a whole number from 0 to 1023, not 'two'; for example --chain 0.", new[] { "audit", "verify", "--chain", "3" })]
    [TestCase(new[] { "audit", "export", "--page-size", "5000" }, "--page-size must be a whole number from 1 to 1000, not '5000'; for example --page-size 1000.", new[] { "audit", "export", "--page-size", "1000" })]
    [TestCase(new[] { "audit", "export", "--after", "ten" }, "--after must be a whole number of at least 0, not 'ten'; for example --after 1200.", new[] { "audit", "export", "--after", "10" })]
    [TestCase(new[] { "tasks", "continue", "tsk_1", "--reason", "r", "--extend", "soon" }, "--extend must be a duration, not 'soon'; for example --extend 90s, 15m, 1h or 1h30m.", new[] { "tasks", "continue", "tsk_1", "--reason", "r", "--extend", "10m" })]
    public void Audit_and_continuation_options_refuse_a_bad_value_in_plain_words_and_take_a_good_one(string[] bad, string message, string[] good)
    {
        Assert.Multiple(() =>
        {
            Assert.That(Errors(bad), Is.EqualTo(new[] { message }));
            Assert.That(Errors(good), Is.Empty);
        });
    }

    [Test]
    public async Task An_unknown_command_is_named_alone_and_a_missing_one_is_said_so()
    {
        var unknown = await Brokerctl.RunAsync("bogus");
        var missing = await Brokerctl.RunAsync("incident");

        Assert.Multiple(() =>
        {
            Assert.That(unknown.ExitCode, Is.EqualTo(2));
            Assert.That(unknown.StandardError, Does.Contain("brokerctl: Unrecognized command or argument 'bogus'.").And.Not.Contain("Required command"));
            Assert.That(missing.ExitCode, Is.EqualTo(2));
            Assert.That(missing.StandardError, Does.Contain("brokerctl: Required command was not provided."));
        });
    }

    [TestCase("90s", 90)]
    [TestCase("15m", 900)]
    [TestCase("1h", 3600)]
    [TestCase("1h30m", 5400)]
    [TestCase("1d", 86400)]
    [TestCase("01:30:00", 5400)]
    public void Durations_read_as_people_write_them(string text, int seconds)
    {
        Assert.Multiple(() =>
        {
            Assert.That(Durations.TryParse(text, out var duration), Is.True);
            Assert.That(duration, Is.EqualTo(TimeSpan.FromSeconds(seconds)));
        });
    }

    [TestCase("soon")]
    [TestCase("1 hour")]
    [TestCase("0s")]
    [TestCase("-1h")]
    [TestCase("h")]
    [TestCase("")]
    public void Anything_else_is_not_a_duration(string text) => Assert.That(Durations.TryParse(text, out _), Is.False);

    [TestCase("p-77 \"quoted\" é 😀 [bold]", "p-77 \"quoted\" é 😀 [bold]")]
    [TestCase("a\u001b[31mb\u001b[0m", @"a\x1b[31mb\x1b[0m")]
    [TestCase("a\r\nb\tc\u0007", @"a\r\nb\tc\x07")]
    [TestCase("\u009b31m\u007f", @"\x9b31m\x7f")]
    [TestCase("\u202eevil\u200b\u2028", @"\u202eevil\u200b\u2028")]
    [TestCase(@"DOMAIN\bob", @"DOMAIN\\bob")]
    public void Broker_text_is_shown_with_control_and_invisible_characters_escaped_and_everything_else_as_written(string text, string shown) =>
        Assert.That(TerminalText.Safe(text), Is.EqualTo(shown));

    [Test]
    public void A_lone_surrogate_is_shown_escaped_and_a_pair_as_written() =>
        Assert.That(TerminalText.Safe("x" + (char)0xD800 + "y 😀"), Is.EqualTo(@"x\ud800y 😀"));

    [TestCase("2026-11-28T09:10:00Z", "2026-11-28T09:10:00.000Z")]
    [TestCase("2026-11-28T09:10:00.1234567Z", "2026-11-28T09:10:00.123Z")]
    [TestCase("2026-11-28T10:10:00.5+01:00", "2026-11-28T09:10:00.500Z")]
    [TestCase(null, "-")]
    public void Table_times_are_ISO_8601_UTC_with_milliseconds(string? wire, string shown) => Assert.That(Times.Display(wire), Is.EqualTo(shown));

    [Test]
    public async Task Parse_errors_exit_2_with_plain_sentences_and_a_well_formed_command_gets_past_parsing()
    {
        var unreachable = $"http://127.0.0.1:{BrokerProcess.FreePort()}";
        var svid = System.IO.Path.Combine(_directory, "svid.jwt");
        await File.WriteAllTextAsync(svid, "header.payload.signature");
        string[] common = ["--broker", unreachable, "--svid-file", svid, "incident", "declare", "--title", "t", "--workflow", "wf"];

        var bad = await Brokerctl.RunAsync([.. common, "--severity", "urgent", "--notified-at", "28/11/2026"]);
        var good = await Brokerctl.RunAsync([.. common, "--severity", "high", "--notified-at", "2026-11-28T10:02:00Z"]);

        Assert.Multiple(() =>
        {
            Assert.That(bad.ExitCode, Is.EqualTo(2));
            Assert.That(bad.StandardError, Does.Contain("brokerctl: --severity must be low, medium, high or critical, not 'urgent'"));
            Assert.That(bad.StandardError, Does.Contain("brokerctl: --notified-at must be an ISO 8601 time, not '28/11/2026'; for example --notified-at 2026-11-28T10:02:00Z"));
            Assert.That(bad.StandardError, Does.Contain("See 'brokerctl incident declare --help'."));
            Assert.That(Brokerctl.SpeaksDotnet(bad.StandardError), Is.False, bad.StandardError);
            Assert.That(good.ExitCode, Is.EqualTo(5), "parsed, then found no broker: " + good.StandardError);
        });
    }

    [Test]
    public async Task A_piped_table_keeps_an_identifier_longer_than_80_columns_on_one_line_and_shows_times_in_one_format()
    {
        var longId = "spiffe://corp.example/agents/" + string.Join('/', Enumerable.Range(1, 12).Select(i => $"team-{i:00}"));
        var shortId = "spiffe://corp.example/soc";
        static string Svid(string subject) =>
            "e30." + Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($$"""{"sub":"{{subject}}","exp":1795857000}""")).TrimEnd('=').Replace('+', '-').Replace('/', '_') + ".sig";
        var credentials = System.IO.Path.Combine(_directory, "dev.json");
        await File.WriteAllTextAsync(credentials, new JsonObject { ["issuer"] = "http://127.0.0.1:8080", ["agent"] = Svid(longId), ["soc"] = Svid(shortId) }.ToJsonString());

        var table = await Brokerctl.RunAsync("dev", "identities", "--file", credentials);
        var json = await Brokerctl.RunAsync("dev", "identities", "--file", credentials, "-o", "json");
        var lines = table.StandardOutput.Split('\n');

        Assert.Multiple(() =>
        {
            Assert.That(longId, Has.Length.GreaterThan(80));
            Assert.That(table.ExitCode, Is.Zero, table.StandardError);
            Assert.That(lines.Where(l => l.Contains(longId, StringComparison.Ordinal)), Has.Exactly(1).Items, table.StandardOutput);
            Assert.That(lines.Single(l => l.Contains(longId, StringComparison.Ordinal)), Does.Contain("2026-11-28T09:10:00.000Z"));
            Assert.That(lines.Where(l => l.Contains(shortId, StringComparison.Ordinal)), Has.Exactly(1).Items);
            Assert.That(json.ExitCode, Is.Zero, json.StandardError);
            Assert.That((string?)JsonNode.Parse(json.StandardOutput)!["identities"]![0]!["spiffeId"], Is.EqualTo(longId));
            Assert.That(json.StandardOutput, Does.Contain("\"expiresAt\": \"2026-11-28T09:10:00.000Z\""), "the same one format in JSON, nothing escaped");
        });
    }
}
