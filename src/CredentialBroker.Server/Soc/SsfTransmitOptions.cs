namespace CredentialBroker.Server.Soc;

/// <summary>The Shared Signals transmitter, bound from <c>CredentialBroker:SsfTransmitter</c>.</summary>
public sealed class SsfTransmitOptions
{
    /// <summary>The configuration section these options bind from.</summary>
    public const string SectionName = "CredentialBroker:SsfTransmitter";

    /// <summary>How often the transmitter turns new revocation feed entries into events and pushes pending events. Default 1 s.</summary>
    public TimeSpan DeliveryInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The wait before the first retry of a push the receiver did not accept (5xx, 429, timeout, no answer). Default 2 s.</summary>
    public TimeSpan RetryInitialDelay { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>The longest wait between retries: the wait doubles after each failed attempt up to this cap. Default 5 min.</summary>
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How long one push may take before it counts as failed. Default 10 s.</summary>
    public TimeSpan PushTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The most events pushed to one stream in one delivery run. Default 100.</summary>
    public int PushBatchSize { get; set; } = 100;

    /// <summary>The most events one poll returns, whatever <c>maxEvents</c> asks for. Default 100.</summary>
    public int MaxPollEvents { get; set; } = 100;

    /// <summary>
    /// The most events kept pending for one stream. A stream whose receiver does not take its events (a poll stream nobody
    /// polls, a push endpoint that keeps failing, a paused stream) is disabled when it would pass this, and its pending
    /// events are dropped, so the store cannot fill up. Default 100,000.
    /// </summary>
    public int MaxPendingEvents { get; set; } = 100_000;

    /// <summary>The most streams the broker keeps. Default 32.</summary>
    public int MaxStreams { get; set; } = 32;

    /// <summary>
    /// Whether push endpoints may be plain <c>http://</c> on a loopback address (a receiver on the same host in a trial).
    /// Default <see langword="false"/>: push endpoints must be <c>https://</c>.
    /// </summary>
    public bool AllowLoopbackHttp { get; set; }
}
