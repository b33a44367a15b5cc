using System.CommandLine;
using System.Text.Json.Nodes;
using CredentialBroker.Cli.CommandLine;
using CredentialBroker.Cli.Soc;
using CredentialBroker.Cli.Trust;
using Spectre.Console;

namespace CredentialBroker.Cli.Tasks;

/// <summary>
/// <c>brokerctl tasks continue ID --extend DURATION --reason TEXT</c>: an operator permits a task to continue past its
/// deadline (or resumes one awaiting approval). The broker records who, why and for how long, issues a fresh task token
/// for the agent and revokes the old one. Needs the <c>operator</c> role (from a dev credentials file, the operator identity).
/// </summary>
internal static class ContinueCommand
{
    public static Command Create()
    {
        var id = new Argument<string>("ID") { Description = "The task id (tsk_…)." };
        var extend = ValueParsers.Duration("--extend", "How long the task may continue from now: 90s, 15m, 1h, 1h30m (the broker's policy bounds it).");
        var reason = new Option<string>("--reason") { Description = "Why it may continue (recorded in the boundary log; shown in traces).", Required = true };
        var tokenFile = new Option<FileInfo?>("--token-file")
        {
            Description = "Write the fresh task token to this file (mode 0600) for the agent, instead of printing it.",
            HelpName = "FILE",
        };
        var output = OutputOption.Create();
        var command = new Command("continue", "As an operator, permit a task to continue past its deadline: a fresh task token for its agent, the old one revoked, the decision recorded.")
        {
            id, extend, reason, tokenFile, output,
        };
        command.SetAction((parse, ct) => CliContext.RunAsync(async () =>
        {
            if (string.IsNullOrWhiteSpace(parse.GetValue(reason)))
            {
                throw new BrokerCliException(ExitCodes.Usage, "--reason must say why the task may continue; for example --reason \"approved in CHG-1042\".");
            }

            var body = new JsonObject
            {
                ["extendSeconds"] = (long)Math.Ceiling(parse.GetValue(extend)!.Value.TotalSeconds),
                ["reason"] = parse.GetValue(reason),
            };
            using var broker = CliContext.Client(parse, "operator");
            JsonNode answer;
            try
            {
                answer = await broker.PostJsonAsync($"/v1/tasks/{Uri.EscapeDataString(parse.GetValue(id)!)}/continuation", body, ct);
            }
            catch (BrokerCliException ex) when (ex.ExitCode == ExitCodes.Usage && ex.Message.Contains("extendSeconds", StringComparison.Ordinal))
            {
                // The broker names its field; the user typed --extend.
                throw new BrokerCliException(ExitCodes.Usage, ex.Message.Replace("extendSeconds: extendSeconds", "--extend (in seconds)", StringComparison.Ordinal).Replace("extendSeconds", "--extend", StringComparison.Ordinal));
            }

            var token = (string?)answer["token"];
            if (parse.GetValue(tokenFile) is { } file && token is not null)
            {
                try
                {
                    PrivateFiles.Write(file.FullName, token, secret: true);
                }
                catch (BrokerCliException ex)
                {
                    throw new BrokerCliException(ExitCodes.Failures, $"the task continues, but its fresh task token was not saved: {ex.Message} Continue it again to get another.");
                }
            }

            if (parse.GetValue(output) == OutputOption.Json)
            {
                CliContext.WriteJson(answer);
                return ExitCodes.Success;
            }

            AnsiConsole.MarkupLine($"Task [bold]{TerminalText.Markup((string?)answer["taskId"])}[/] ({TerminalText.Markup((string?)answer["state"])}) continues until {Times.Display(answer["expiresAt"])}, permitted by {TerminalText.Markup((string?)answer["continuedBy"])}.");
            AnsiConsole.MarkupLine($"Fresh task token {TerminalText.Markup((string?)answer["jti"])}; the previous one is revoked.");
            if (parse.GetValue(tokenFile) is { } written)
            {
                AnsiConsole.MarkupLine($"Task token written to {Markup.Escape(written.FullName)} (0600): hand it to the agent.");
            }
            else
            {
                // The token is bound to the agent (cnf), useless to anyone else; the agent needs it to go on.
                Console.Out.WriteLine("task token: " + token);
            }

            return ExitCodes.Success;
        }));
        return command;
    }
}
