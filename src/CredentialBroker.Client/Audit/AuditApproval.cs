using System.Text.Json.Serialization;

namespace CredentialBroker.Client.Audit;

/// <summary>The approval of a task's initial authority, as the trace shows it.</summary>
public sealed class AuditApproval
{
    /// <summary>The approval's id, e.g. a change ticket.</summary>
    public string? Id { get; init; }

    /// <summary>Who approved.</summary>
    public string? Approver { get; init; }

    /// <summary>When.</summary>
    [JsonConverter(typeof(UnixTimeConverter))]
    public DateTimeOffset? ApprovedAt { get; init; }
}
