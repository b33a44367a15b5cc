using System.CommandLine;
using CredentialBroker.Cli;
using CredentialBroker.Cli.Policy;
using CredentialBroker.Cli.Soc;

var root = new RootCommand("brokerctl — operate a CredentialBroker: policies, revocations, incidents, reports.")
{
    new Command("policy", "Work with policy documents.") { PolicyTestCommand.Create() },
    RevokeCommands.Revoke(),
    RevokeCommands.Revocation(),
    IncidentCommands.Incident(),
    IncidentCommands.Report(),
    IncidentCommands.Tasks(),
    DevCommands.Dev(),
};
root.Options.Add(CliContext.Broker);
root.Options.Add(CliContext.SvidFile);
root.Options.Add(CliContext.As);
root.Options.Add(CliContext.Certificate);
root.Options.Add(CliContext.Key);
root.Options.Add(CliContext.Authorities);

var parse = root.Parse(args);
if (parse.Errors.Count > 0 && parse.Action is not System.CommandLine.Help.HelpAction)
{
    foreach (var error in parse.Errors)
    {
        await Console.Error.WriteLineAsync("brokerctl: " + error.Message);
    }

    return ExitCodes.Usage;
}

return await parse.InvokeAsync();
