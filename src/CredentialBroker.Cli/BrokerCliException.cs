namespace CredentialBroker.Cli;

/// <summary>A failure brokerctl reports on stderr and turns into an exit code.</summary>
internal sealed class BrokerCliException(int exitCode, string message) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}
