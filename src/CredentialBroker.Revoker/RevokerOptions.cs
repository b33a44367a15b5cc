namespace CredentialBroker.Revoker;

/// <summary>The revoker's schedule and limits, bound from <c>CredentialBroker:Revoker</c> and validated at start.</summary>
public sealed class RevokerOptions
{
    /// <summary>The configuration section these options bind from.</summary>
    public const string SectionName = "CredentialBroker:Revoker";

    /// <summary>How often each replica sweeps the expiry index (16 cheap calls per sweep when nothing is due). Default 100 ms.</summary>
    public TimeSpan ExpirySweepInterval { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>How often each replica polls the work queue; new work on the same replica starts at once. Default 1 s.</summary>
    public TimeSpan WorkPollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long taken work or claimed expiries stay with a replica before another takes them over. Default 30 s.</summary>
    public TimeSpan Lease { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How many due credentials one claim takes; they are finished as one batch (one feed append, one record of the outcomes). Default 500.</summary>
    public int SweepBatchSize { get; set; } = 500;

    /// <summary>How many work entries one take takes; their tasks are finished as one batch (an entry from a bulk fan-out names up to 200 tasks). Default 64.</summary>
    public int WorkBatchSize { get; set; } = 64;

    /// <summary>How many downstream revocations (each with its verification) run at once within a batch. Default 32.</summary>
    public int Concurrency { get; set; } = 32;

    /// <summary>Downstream attempts before a credential is marked irrevocable. Default 5.</summary>
    public int DownstreamAttempts { get; set; } = 5;

    /// <summary>The first retry delay; later ones grow exponentially, with jitter. Default 200 ms.</summary>
    public TimeSpan DownstreamRetryDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>The slower cadence at which irrevocable credentials are tried again. Default 1 min.</summary>
    public TimeSpan IrrevocableRetryInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How often each replica trims the revocation feed. Default 1 min.</summary>
    public TimeSpan FeedTrimInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// How often each replica looks for downstream secrets whose issue was never confirmed (an issuer that crashed or hung
    /// past <c>CredentialBroker:SecretIssueTimeout</c>) and revokes them downstream. Default 5 s.
    /// </summary>
    public TimeSpan IssueReconcileInterval { get; set; } = TimeSpan.FromSeconds(5);
}
