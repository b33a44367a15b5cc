namespace CredentialBroker.Client.Soc;

/// <summary>The states of a bulk revocation.</summary>
public static class RevocationStatuses
{
    /// <summary>Fanning out, or waiting for verification.</summary>
    public const string Running = "running";

    /// <summary>Every matched credential is verified dead.</summary>
    public const string Completed = "completed";

    /// <summary>Done, but some credentials are irrevocable or failed.</summary>
    public const string CompletedWithFailures = "completed_with_failures";
}
