using System.Text.Json;
using System.Text.Json.Nodes;
using CredentialBroker.Abstractions;
using CredentialBroker.Abstractions.Audit;
using CredentialBroker.Abstractions.Soc;
using CredentialBroker.Abstractions.Storage;
using CredentialBroker.Abstractions.Tasks;
using Microsoft.Extensions.DependencyInjection;

namespace CredentialBroker.Core.Audit;

/// <summary>
/// The accountability chain of one credential, in one call: the credential and its ancestors up to the task token, the
/// task's origin, workflow designer and approver, the orchestrator, agent and every delegate, every operator who let the
/// task continue, each policy decision on the way, the revocation history, and whether the events it rests on verify.
/// </summary>
public sealed class AuditTraceService(IAuditLog log, ICredentialStore store, ISocStore soc, [FromKeyedServices(BrokerTime.ServiceKey)] TimeProvider time)
{
    private static readonly HashSet<string> DecisionTypes = new(StringComparer.Ordinal)
    {
        AuditEventTypes.TaskCreated, AuditEventTypes.CredentialIssued, AuditEventTypes.ExchangeDenied, AuditEventTypes.Continuation,
    };

    private static readonly HashSet<string> RevocationTypes = new(StringComparer.Ordinal)
    {
        AuditEventTypes.RevocationRecorded, AuditEventTypes.RevocationDelivered, AuditEventTypes.RevocationVerified, AuditEventTypes.StateChanged,
    };

    /// <summary>The trace of <paramref name="jti"/>, or <see langword="null"/> when no retained record names it.</summary>
    public async ValueTask<JsonObject?> TraceAsync(string jti, CancellationToken cancellationToken)
    {
        string? taskId = null;
        await foreach (var found in soc.FindTaskIdsAsync(new RevocationSelector(DerivedFrom: jti), cancellationToken))
        {
            taskId = found;
            break;
        }

        if (taskId is null || await store.GetCredentialAsync(taskId, jti, cancellationToken) is not { } lookup)
        {
            return null;
        }

        var chain = lookup.Chain.ToList();
        var jtis = chain.Select(c => c.Jti).ToHashSet(StringComparer.Ordinal);
        var events = await log.TaskEventsAsync(taskId, cancellationToken);
        var now = time.GetUtcNow();
        var decisions = new JsonArray();
        var revocations = new JsonArray();
        var operators = new List<string>();
        var verified = true;
        foreach (var entry in events)
        {
            verified &= string.Equals(AuditHash.Link(entry.Chain, entry.Seq, entry.Prev, entry.Body), entry.Hash, StringComparison.Ordinal);
            JsonObject body;
            try
            {
                body = JsonNode.Parse(entry.Body) as JsonObject ?? [];
            }
            catch (JsonException)
            {
                verified = false;
                continue;
            }

            var type = (string?)body["type"] ?? string.Empty;
            var about = (string?)body["jti"] ?? (string?)body["subjectJti"];
            var concernsChain = about is null || jtis.Contains(about) || (body["replaces"] is JsonArray replaced && replaced.Any(r => jtis.Contains((string?)r ?? string.Empty)));
            if (type == AuditEventTypes.Continuation)
            {
                operators.Add((string?)body["operator"] ?? (string?)body["actor"] ?? string.Empty);
            }

            if (DecisionTypes.Contains(type) && concernsChain)
            {
                var decision = body["decision"] as JsonObject;
                decisions.Add(new JsonObject
                {
                    ["event"] = entry.Seq,
                    ["chain"] = entry.Chain,
                    ["type"] = type,
                    ["time"] = (string?)body["time"],
                    ["actor"] = (string?)body["actor"],
                    ["jti"] = about,
                    ["rule"] = (string?)decision?["rule"],
                    ["policyVersion"] = (string?)decision?["policyVersion"],
                    ["allowed"] = type != AuditEventTypes.ExchangeDenied && ((bool?)decision?["allowed"] ?? true),
                    ["reason"] = (string?)body["reason"] ?? (string?)body["description"],
                });
            }

            if (RevocationTypes.Contains(type) && concernsChain)
            {
                revocations.Add(new JsonObject
                {
                    ["event"] = entry.Seq,
                    ["chain"] = entry.Chain,
                    ["type"] = type,
                    ["time"] = (string?)body["time"],
                    ["actor"] = (string?)body["actor"],
                    ["jti"] = about,
                    ["reason"] = (string?)body["reason"],
                    ["to"] = (string?)body["to"],
                    ["revocationId"] = (string?)body["revocationId"],
                });
            }
        }

        var task = lookup.Task;
        return new JsonObject
        {
            ["credential"] = Describe(lookup.Credential, now),
            ["ancestors"] = new JsonArray([.. lookup.Ancestors.Select(a => (JsonNode)Describe(a, now))]),
            ["task"] = DescribeTask(task),
            ["accountable"] = new JsonObject
            {
                ["workflowDesigner"] = task.Workflow.Designer,
                ["approver"] = task.Approval?.Approver,
                ["requestedBy"] = task.Origin?.RequestedBy,
                ["orchestrator"] = task.CreatedBy,
                ["agent"] = task.Agent,
                ["actors"] = new JsonArray([.. chain.Where(c => c.Kind == CredentialKind.Delegated).Select(c => (JsonNode)JsonValue.Create(c.Holder))]),
                ["continuationOperators"] = new JsonArray([.. operators.Distinct(StringComparer.Ordinal).Select(o => (JsonNode)JsonValue.Create(o))]),
            },
            ["decisions"] = decisions,
            ["revocations"] = revocations,
            ["events"] = events.Count,
            ["verified"] = verified && events.Count > 0,
        };
    }

    private static JsonObject Describe(CredentialRecord credential, DateTimeOffset now)
    {
        var described = AuditEvents.Credential(credential);
        described["status"] = CredentialKinds.ToWireName(credential.StatusAt(now));
        if (credential.RevokedAt is { } revokedAt)
        {
            described["revokedAt"] = revokedAt.ToUnixTimeSeconds();
            described["revocationReason"] = credential.RevocationReason;
        }

        return described;
    }

    private static JsonObject DescribeTask(TaskRecord task)
    {
        var described = new JsonObject
        {
            ["taskId"] = task.TaskId,
            ["state"] = TaskStateMachine.ToWireName(task.State),
            ["agent"] = task.Agent,
            ["orchestrator"] = task.CreatedBy,
            ["createdAt"] = task.CreatedAt.ToUnixTimeSeconds(),
            ["expiresAt"] = task.ExpiresAt.ToUnixTimeSeconds(),
            ["workflow"] = new JsonObject { ["id"] = task.Workflow.Id, ["designer"] = task.Workflow.Designer, ["version"] = task.Workflow.Version },
        };
        if (task.Approval is { } approval)
        {
            described["approval"] = new JsonObject { ["id"] = approval.Id, ["approver"] = approval.Approver, ["approvedAt"] = approval.ApprovedAt.ToUnixTimeSeconds() };
        }

        if (task.Origin is { } origin)
        {
            described["origin"] = new JsonObject { ["promptId"] = origin.PromptId, ["promptSha256"] = origin.PromptSha256, ["requestedBy"] = origin.RequestedBy };
        }

        return described;
    }
}
