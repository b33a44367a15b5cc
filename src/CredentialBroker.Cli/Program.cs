using System.CommandLine;
using CredentialBroker.Cli.Policy;

var root = new RootCommand("brokerctl — operate a CredentialBroker: policies, revocations, incidents, reports.")
{
    new Command("policy", "Work with policy documents.") { PolicyTestCommand.Create() },
};
return await root.Parse(args).InvokeAsync();
