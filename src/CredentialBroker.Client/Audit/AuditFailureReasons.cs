namespace CredentialBroker.Client.Audit;

/// <summary>Why the boundary log failed to verify (<see cref="AuditVerification.Reason"/>).</summary>
public static class AuditFailureReasons
{
    /// <summary>An event does not hash to what it says, does not link to the one before it, or differs from a signed checkpoint (or a checkpoint's signature fails).</summary>
    public const string Altered = "altered";

    /// <summary>A position is absent, or a chain ends short of its head or of a checkpoint.</summary>
    public const string Missing = "missing";

    /// <summary>A position appears out of order.</summary>
    public const string Reordered = "reordered";
}
