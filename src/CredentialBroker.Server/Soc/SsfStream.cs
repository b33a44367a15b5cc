namespace CredentialBroker.Server.Soc;

/// <summary>
/// One event stream the broker transmits to (OpenID SSF 1.0 §8.1.1), as stored: who receives (push to
/// <see cref="EndpointUrl"/>, or poll), which events it asked for, and whether it is enabled, paused or disabled.
/// </summary>
/// <param name="StreamId">The stream's id (transmitter-supplied).</param>
/// <param name="Audience">The <c>aud</c> of its events.</param>
/// <param name="Method">The delivery method: <c>urn:ietf:rfc:8935</c> (push) or <c>urn:ietf:rfc:8936</c> (poll).</param>
/// <param name="EndpointUrl">For push, the receiver's endpoint; for poll, <see langword="null"/> (the broker's poll endpoint serves it).</param>
/// <param name="AuthorizationHeader">For push, the <c>Authorization</c> header value sent with each event; never returned or logged.</param>
/// <param name="EventsRequested">The event types the receiver asked for.</param>
/// <param name="Description">The receiver's description.</param>
/// <param name="Status"><c>enabled</c>, <c>paused</c> (events kept, not delivered) or <c>disabled</c> (events neither kept nor delivered).</param>
/// <param name="Reason">Why the status was last set, if given.</param>
/// <param name="CreatedAt">When it was created: revocations recorded before are not sent to it.</param>
/// <param name="CreatedBy">Who created it (a SPIFFE ID).</param>
internal sealed record SsfStream(
    string StreamId,
    string Audience,
    string Method,
    string? EndpointUrl,
    string? AuthorizationHeader,
    IReadOnlyList<string> EventsRequested,
    string? Description,
    string Status,
    string? Reason,
    DateTimeOffset CreatedAt,
    string CreatedBy)
{
    /// <summary>The event types it gets: those it asked for that the broker transmits (SSF 1.0 §8.1.1: the intersection).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public IReadOnlyList<string> EventsDelivered => [.. EventsRequested.Where(SsfTransmitter.EventsSupported.Contains).Distinct(StringComparer.Ordinal)];
}
