using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Parsing;
using CredentialBroker.Cli.Audit;
using CredentialBroker.Cli.CommandLine;
using CredentialBroker.Cli.Completion;
using CredentialBroker.Cli.Policy;
using CredentialBroker.Cli.Soc;
using CredentialBroker.Cli.Trust;

namespace CredentialBroker.Cli;

/// <summary>brokerctl's command tree, and how it runs: parse errors are plain sentences on stderr and exit code 2.</summary>
internal static class BrokerCtl
{
    /// <summary>Every brokerctl command.</summary>
    public static RootCommand Create()
    {
        var root = new RootCommand("brokerctl — operate a CredentialBroker: revocations, incidents, reports, the audit log, policies, trial trust domains.")
        {
            new Command("policy", "Work with policy documents.") { PolicyTestCommand.Create() },
            RevokeCommands.Revoke(),
            RevokeCommands.Revocation(),
            IncidentCommands.Incident(),
            IncidentCommands.Report(),
            IncidentCommands.Tasks(),
            AuditCommands.Create(),
            DevCommands.Dev(),
            TrustCommands.Create(),
            CompletionCommand.Create(),
        };
        root.Options.Add(CliContext.Broker);
        root.Options.Add(CliContext.SvidFile);
        root.Options.Add(CliContext.As);
        root.Options.Add(CliContext.Certificate);
        root.Options.Add(CliContext.Key);
        root.Options.Add(CliContext.Authorities);
        return root;
    }

    /// <summary>Parses <paramref name="args"/> and runs the command; returns the exit code.</summary>
    public static async Task<int> RunAsync(string[] args)
    {
        Terminal.Configure();
        var parse = Create().Parse(args);
        if (parse.Errors.Count > 0 && parse.Action is not HelpAction)
        {
            // "brokerctl bogus": the unrecognized word is the problem; that no command was given follows from it.
            foreach (var error in parse.Errors.Where(e => parse.UnmatchedTokens.Count == 0 || !e.Message.StartsWith("Required command", StringComparison.Ordinal)))
            {
                await Console.Error.WriteLineAsync("brokerctl: " + error.Message);
            }

            await Console.Error.WriteLineAsync($"See '{CommandPath(parse.CommandResult)} --help'.");
            return ExitCodes.Usage;
        }

        return await parse.InvokeAsync();
    }

    private static string CommandPath(CommandResult command)
    {
        var names = new List<string>();
        for (SymbolResult? result = command; result is CommandResult current; result = current.Parent)
        {
            names.Add(current.Parent is null ? "brokerctl" : current.Command.Name);
        }

        names.Reverse();
        return string.Join(' ', names);
    }
}
