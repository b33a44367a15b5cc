using System.Globalization;
using System.Text.Json.Nodes;
using CredentialBroker.Abstractions.Storage;
using CredentialBroker.Abstractions.Tasks;

namespace CredentialBroker.Abstractions.Audit;

/// <summary>
/// Builds boundary-log events. Every event names when, what (<c>type</c>), who acted (<c>actor</c>) and, for a task,
/// on whose behalf and under which authority: the task's origin (prompt id, requester), workflow (id, designer,
/// version) and approval (id, approver) — the who / on whose behalf / what / which resource / when / decision / why of
/// the WIMSE agent-identity audit fields. Values are JSON-escaped by the serializer: CR, LF, quotes and terminal escape
/// characters in caller-supplied ids are stored as escapes, never raw.
/// </summary>
public static class AuditEvents
{
    /// <summary>The actor of events the broker causes itself (expiry, reconciliation).</summary>
    public const string BrokerActor = "broker";

    /// <summary>An event about <paramref name="task"/> (or about no task when <see langword="null"/>), with <paramref name="details"/> added to its body.</summary>
    /// <param name="type">The event type (<see cref="AuditEventTypes"/>).</param>
    /// <param name="time">When it happened.</param>
    /// <param name="actor">Who acted: a SPIFFE ID, <c>ssf:&lt;issuer&gt;</c> or <see cref="BrokerActor"/>.</param>
    /// <param name="task">The task it concerns; its origin, workflow and approval are copied into the event.</param>
    /// <param name="details">Further members (jti, decision, resource, reason…); <see langword="null"/> values are left out.</param>
    public static AuditEvent Create(string type, DateTimeOffset time, string actor, TaskRecord? task, JsonObject? details) =>
        Create(type, time, actor, task?.TaskId, task, details);

    /// <summary>An event about the task <paramref name="taskId"/> whose record is not at hand (it may be gone).</summary>
    /// <param name="type">The event type.</param>
    /// <param name="time">When it happened.</param>
    /// <param name="actor">Who acted.</param>
    /// <param name="taskId">The task it concerns, if any.</param>
    /// <param name="task">The task's record, when at hand.</param>
    /// <param name="details">Further members.</param>
    public static AuditEvent Create(string type, DateTimeOffset time, string actor, string? taskId, TaskRecord? task, JsonObject? details)
    {
        ArgumentException.ThrowIfNullOrEmpty(type);
        ArgumentException.ThrowIfNullOrEmpty(actor);
        var body = new JsonObject
        {
            ["time"] = time.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
            ["type"] = type,
            ["actor"] = actor,
        };
        if (taskId is not null)
        {
            body["taskId"] = taskId;
        }

        if (task is not null)
        {
            body["agent"] = task.Agent;
            body["orchestrator"] = task.CreatedBy;
            body["workflow"] = Compact(new JsonObject { ["id"] = task.Workflow.Id, ["designer"] = task.Workflow.Designer, ["version"] = task.Workflow.Version });
            if (task.Approval is { } approval)
            {
                body["approval"] = new JsonObject { ["id"] = approval.Id, ["approver"] = approval.Approver };
            }

            if (task.Origin is { } origin)
            {
                body["origin"] = Compact(new JsonObject { ["promptId"] = origin.PromptId, ["promptSha256"] = origin.PromptSha256, ["requestedBy"] = origin.RequestedBy });
            }
        }

        if (details is not null)
        {
            foreach (var (name, value) in details.ToList())
            {
                details.Remove(name);
                if (value is not null)
                {
                    body[name] = value;
                }
            }
        }

        return new AuditEvent(type, taskId, body.ToJsonString());
    }

    /// <summary>The members that describe a credential: jti, kind, parent, holder, resource, lifetime, binding, the deciding policy and, for a secret, its provider.</summary>
    public static JsonObject Credential(CredentialRecord credential)
    {
        ArgumentNullException.ThrowIfNull(credential);
        return Compact(new JsonObject
        {
            ["jti"] = credential.Jti,
            ["kind"] = CredentialKinds.ToWireName(credential.Kind),
            ["parentJti"] = credential.ParentJti,
            ["holder"] = credential.Holder,
            ["resource"] = credential.Audience,
            ["depth"] = credential.Depth,
            ["issuedAt"] = credential.IssuedAt.ToUnixTimeSeconds(),
            ["expiresAt"] = credential.ExpiresAt.ToUnixTimeSeconds(),
            ["binding"] = credential.Binding is { } binding ? new JsonObject { [binding.Kind == KeyBindingKind.Jkt ? "jkt" : "x5t#S256"] = binding.Thumbprint } : null,
            ["secret"] = credential.Secret is { } secret ? Compact(new JsonObject { ["provider"] = secret.Provider, ["kind"] = secret.ProviderKind, ["username"] = secret.Username }) : null,
            ["decision"] = credential.Policy is { } policy ? Decision(true, policy.Rules, policy.Version, null) : null,
        });
    }

    /// <summary>A bulk revocation's selector, as the members it names.</summary>
    public static JsonObject Selector(Soc.RevocationSelector selector)
    {
        ArgumentNullException.ThrowIfNull(selector);
        return Compact(new JsonObject
        {
            ["workload"] = selector.Workload,
            ["workflowId"] = selector.WorkflowId,
            ["taskId"] = selector.TaskId,
            ["approvalId"] = selector.ApprovalId,
            ["approver"] = selector.Approver,
            ["resource"] = selector.Resource,
            ["derivedFrom"] = selector.DerivedFrom,
            ["issuedAfter"] = selector.IssuedAfter?.ToUnixTimeSeconds(),
            ["issuedBefore"] = selector.IssuedBefore?.ToUnixTimeSeconds(),
        });
    }

    /// <summary>A policy decision's members: allowed, the deciding rule, the policy version and why.</summary>
    public static JsonObject Decision(bool allowed, string rule, string policyVersion, string? reason) =>
        Compact(new JsonObject { ["allowed"] = allowed, ["rule"] = rule, ["policyVersion"] = policyVersion, ["reason"] = reason });

    private static JsonObject Compact(JsonObject node)
    {
        foreach (var name in node.Where(p => p.Value is null).Select(p => p.Key).ToList())
        {
            node.Remove(name);
        }

        return node;
    }
}
