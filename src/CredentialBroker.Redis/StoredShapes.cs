using System.Text.Json.Serialization;

namespace CredentialBroker.Redis;

/// <summary>The immutable part of a task, as stored in its hash's <c>spec</c> field.</summary>
internal sealed record StoredTaskSpec(
    string Agent,
    StoredWorkflow Workflow,
    IReadOnlyList<StoredGrant> Authorization,
    StoredApproval? Approval,
    StoredOrigin? Origin,
    int MaxDelegationDepth,
    IReadOnlyList<string>? MayAct);

internal sealed record StoredWorkflow(string Id, string? Designer, string? Version);

internal sealed record StoredGrant(string Tool, string Destination, IReadOnlyList<string> Actions, string? DataClass);

internal sealed record StoredApproval(string Id, string Approver, DateTimeOffset ApprovedAt);

internal sealed record StoredOrigin(string? PromptId, string? PromptSha256, string? RequestedBy);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(StoredTaskSpec))]
[JsonSerializable(typeof(StoredIdempotency))]
[JsonSerializable(typeof(StoredRisk))]
[JsonSerializable(typeof(StoredDownstream))]
[JsonSerializable(typeof(StoredLift))]
[JsonSerializable(typeof(Abstractions.Soc.BulkRevocation))]
[JsonSerializable(typeof(Abstractions.Soc.Incident))]
[JsonSerializable(typeof(Abstractions.Audit.AuditCheckpoint))]
internal sealed partial class StoreJsonContext : JsonSerializerContext;

internal sealed record StoredIdempotency(string RequestHash, string TaskId, string Jti, long IssuedAt);

internal sealed record StoredRisk(string Level, string? Reason, string SetBy, DateTimeOffset SetAt);

/// <summary>A credential's downstream outcome ('&lt;jti&gt;:d'). Times are unix ms.</summary>
internal sealed record StoredDownstream(long? At, long? Verified, int Attempts, bool Irrevocable, string? Error, string? ResolvedBy);

/// <summary>A lifted quarantine ('rev:&lt;id&gt;:lift'), kept apart from the revocation's progress so no progress write can undo it.</summary>
internal sealed record StoredLift(DateTimeOffset At, string By);
