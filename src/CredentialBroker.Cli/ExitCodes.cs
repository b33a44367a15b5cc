namespace CredentialBroker.Cli;

/// <summary>brokerctl's exit codes, for scripts.</summary>
internal static class ExitCodes
{
    /// <summary>Everything succeeded.</summary>
    public const int Success = 0;

    /// <summary>The command ran and found failures (a policy test mismatched, a revocation left credentials unverified).</summary>
    public const int Failures = 1;

    /// <summary>The command could not run: bad arguments, unreadable input, an invalid policy.</summary>
    public const int Usage = 2;
}
