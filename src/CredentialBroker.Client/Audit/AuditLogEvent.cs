using System.Text.Json;

namespace CredentialBroker.Client.Audit;

/// <summary>
/// One boundary-log event as <c>GET /v1/audit/events</c> returns it: its place in its chain, the members of its body
/// (time, type, actor, task, origin, workflow, approval, decision…), the previous event's hash, its own hash, and
/// <see cref="Body"/>, the exact stored text the hash covers. <see cref="Json"/> is the whole event exactly as the
/// broker sent it, for a SIEM.
/// </summary>
public sealed class AuditLogEvent
{
    internal AuditLogEvent(JsonElement element)
    {
        Json = element.GetRawText();
        Members = element.Clone();
        Seq = element.TryGetProperty("seq", out var seq) && seq.TryGetInt64(out var s) ? s : -1;
        Chain = element.TryGetProperty("chain", out var chain) && chain.TryGetInt32(out var c) ? c : -1;
        Time = element.TryGetProperty("time", out var time) ? UnixTimeConverter.From(time) : null;
        Type = String(element, "type") ?? string.Empty;
        Actor = String(element, "actor");
        TaskId = String(element, "taskId");
        Jti = String(element, "jti");
        Prev = String(element, "prev") ?? string.Empty;
        Hash = String(element, "hash") ?? string.Empty;
        Body = String(element, "body") ?? string.Empty;
    }

    /// <summary>Its position in its chain, from 1 (-1 for an entry that is no longer an event: someone overwrote it).</summary>
    public long Seq { get; }

    /// <summary>The chain it belongs to.</summary>
    public int Chain { get; }

    /// <summary>When it happened.</summary>
    public DateTimeOffset? Time { get; }

    /// <summary>Its type, e.g. <c>credential.issued</c>.</summary>
    public string Type { get; }

    /// <summary>Who acted: a SPIFFE ID, <c>ssf:&lt;issuer&gt;</c> or <c>broker</c>.</summary>
    public string? Actor { get; }

    /// <summary>The task it concerns, if any.</summary>
    public string? TaskId { get; }

    /// <summary>The credential it concerns, if any.</summary>
    public string? Jti { get; }

    /// <summary>The previous event's hash.</summary>
    public string Prev { get; }

    /// <summary>Its hash.</summary>
    public string Hash { get; }

    /// <summary>The event's body exactly as stored: what <see cref="Hash"/> covers.</summary>
    public string Body { get; }

    /// <summary>Every member, as the broker sent them.</summary>
    public JsonElement Members { get; }

    /// <summary>The event exactly as the broker sent it (one line of JSON).</summary>
    public string Json { get; }

    /// <inheritdoc />
    public override string ToString() => $"#{Seq} (chain {Chain}) {Type} by {Actor}";

    private static string? String(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
