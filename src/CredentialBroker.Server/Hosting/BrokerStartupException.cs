namespace CredentialBroker.Server.Hosting;

/// <summary>The broker cannot start as configured; the message says why and what to change.</summary>
internal sealed class BrokerStartupException(string message) : Exception(message);
