using CredentialBroker.Cli;

return await BrokerCtl.RunAsync(args);
