namespace CredentialBroker.Client.Audit;

/// <summary>A page of boundary-log events (<c>GET /v1/audit/events</c>) and where the next page starts.</summary>
public sealed class AuditEventPage
{
    internal AuditEventPage(IReadOnlyList<AuditLogEvent> events, long next)
    {
        Events = events;
        Next = next;
    }

    /// <summary>The events, in chain order.</summary>
    public IReadOnlyList<AuditLogEvent> Events { get; }

    /// <summary>The position to ask for the next page after (the last event's; the same as asked when the page is empty).</summary>
    public long Next { get; }

    /// <inheritdoc />
    public override string ToString() => $"{Events.Count} event(s), next after {Next}";
}
