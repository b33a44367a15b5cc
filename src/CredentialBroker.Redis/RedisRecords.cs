using System.Globalization;
using System.Text.Json;
using CredentialBroker.Abstractions.Storage;
using CredentialBroker.Abstractions.Tasks;
using StackExchange.Redis;

namespace CredentialBroker.Redis;

/// <summary>How tasks and credentials are laid out in their hashes, read and written by every Redis store class.</summary>
internal static class RedisRecords
{
    internal static TaskRecord? ReadTask(string taskId, HashEntry[] entries)
    {
        var fields = entries.ToDictionary(e => e.Name.ToString(), e => e.Value, StringComparer.Ordinal);
        if (fields.Count == 0)
        {
            return null;
        }

        var spec = JsonSerializer.Deserialize((string)fields["spec"]!, StoreJsonContext.Default.StoredTaskSpec)!;
        var state = ParseState(fields["state"]);
        var reason = (string?)fields["stateReason"];
        var task = new TaskRecord(
            taskId,
            spec.Agent,
            new WorkflowRef(spec.Workflow.Id, spec.Workflow.Designer, spec.Workflow.Version),
            [.. spec.Authorization.Select(g => new AuthorizationGrant(g.Tool, g.Destination, g.Actions, g.DataClass))],
            spec.Approval is { } a ? new TaskApproval(a.Id, a.Approver, a.ApprovedAt) : null,
            spec.Origin is { } o ? new TaskOrigin(o.PromptId, o.PromptSha256, o.RequestedBy) : null,
            spec.MaxDelegationDepth,
            spec.MayAct ?? [],
            fields["createdBy"]!,
            FromMilliseconds(fields["createdAt"]),
            FromMilliseconds(fields["expiresAt"]),
            state,
            FromMilliseconds(fields["stateAt"]),
            string.IsNullOrEmpty(reason) ? null : reason);
        return task;
    }

    /// <summary>The fields of one credential: its record and its revoked, expiry-processed, downstream and lease marks.</summary>
    internal static RedisValue[] MarkFields(string jti) => [jti, jti + ":r", jti + ":x", jti + ":d", jti + ":l"];

    /// <summary>A credential from its <see cref="MarkFields"/> values.</summary>
    internal static CredentialRecord FromStored(string taskId, string jti, RedisValue[] values)
    {
        var stored = CredentialCodec.Decode(taskId, jti, (string)values[0]!, values.Length > 4 && !values[4].IsNullOrEmpty ? (string)values[4]! : null);
        DateTimeOffset? revokedAt = null;
        string? reason = null;
        if (!values[1].IsNullOrEmpty)
        {
            var mark = (string)values[1]!;
            var bar = mark.IndexOf('|', StringComparison.Ordinal);
            revokedAt = DateTimeOffset.FromUnixTimeMilliseconds(long.Parse(mark.AsSpan(0, bar), CultureInfo.InvariantCulture));
            reason = mark[(bar + 1)..];
        }

        DateTimeOffset? expiryProcessedAt = values[2].IsNullOrEmpty ? null : FromMilliseconds(values[2]);
        DownstreamState? downstream = null;
        if (!values[3].IsNullOrEmpty)
        {
            var d = JsonSerializer.Deserialize((string)values[3]!, StoreJsonContext.Default.StoredDownstream)!;
            downstream = new DownstreamState(
                d.At is { } at ? DateTimeOffset.FromUnixTimeMilliseconds(at) : null,
                d.Verified is { } verified ? DateTimeOffset.FromUnixTimeMilliseconds(verified) : null,
                d.Attempts, d.Irrevocable, d.Error, d.ResolvedBy);
        }

        return stored with { RevokedAt = revokedAt, RevocationReason = reason, ExpiryProcessedAt = expiryProcessedAt, Downstream = downstream };
    }

    internal static TaskState ParseState(string? value) =>
        TaskStateMachine.TryParseWireName(value, out var state) ? state : throw new InvalidDataException($"The store holds the unknown task state '{value}'.");

    internal static DateTimeOffset FromMilliseconds(RedisValue value) => DateTimeOffset.FromUnixTimeMilliseconds((long)value);

    internal static StoredTaskSpec ToStored(TaskRecord task) => new(
        task.Agent,
        new StoredWorkflow(task.Workflow.Id, task.Workflow.Designer, task.Workflow.Version),
        [.. task.Authorization.Select(g => new StoredGrant(g.Tool, g.Destination, g.Actions, g.DataClass))],
        task.Approval is { } a ? new StoredApproval(a.Id, a.Approver, a.ApprovedAt) : null,
        task.Origin is { } o ? new StoredOrigin(o.PromptId, o.PromptSha256, o.RequestedBy) : null,
        task.MaxDelegationDepth,
        task.MayAct.Count == 0 ? null : task.MayAct);
}
