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

    /// <summary>The broker refused the caller: no valid SVID, or not the SOC role (HTTP 401/403).</summary>
    public const int Unauthorized = 3;

    /// <summary>What the command names does not exist (HTTP 404).</summary>
    public const int NotFound = 4;

    /// <summary>The broker could not be reached, or its store is down (HTTP 503): try again.</summary>
    public const int Unavailable = 5;

    /// <summary>
    /// The boundary log does not verify (<c>audit verify</c>: an event was altered, is missing or out of order), or the
    /// events a trace rests on do not (<c>audit trace</c>).
    /// </summary>
    public const int Unverified = 6;
}
