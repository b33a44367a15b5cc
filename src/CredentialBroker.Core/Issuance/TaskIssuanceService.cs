using System.Text.Json.Nodes;
using CredentialBroker.Abstractions;
using CredentialBroker.Abstractions.Audit;
using CredentialBroker.Abstractions.Identity;
using CredentialBroker.Abstractions.Policy;
using CredentialBroker.Abstractions.Soc;
using CredentialBroker.Abstractions.Storage;
using CredentialBroker.Abstractions.Tasks;
using CredentialBroker.Core;
using CredentialBroker.Core.Identity;
using CredentialBroker.Core.Tasks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CredentialBroker.Core.Issuance;

/// <summary>
/// Creates tasks and their task tokens. Policy decides every grant first (default deny); destinations
/// with a registered data class get that class, whatever the request declared. The credential is recorded
/// before it is signed: a credential the broker cannot record is a credential it cannot revoke, so a store
/// failure means no token at all.
/// </summary>
public sealed partial class TaskIssuanceService
{
    private readonly ICredentialStore _store;
    private readonly IAuditLog _audit;
    private readonly IRiskRegistry _risk;
    private readonly IPolicySource _policy;
    private readonly TokenFactory _tokens;
    private readonly TaskRules _taskRules;
    private readonly IRevocationRules _rules;
    private readonly CredentialBrokerOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<TaskIssuanceService> _logger;

    /// <summary>Creates the service.</summary>
    public TaskIssuanceService(
        ICredentialStore store,
        IAuditLog audit,
        IRiskRegistry risk,
        IPolicySource policy,
        TokenFactory tokens,
        TaskRules taskRules,
        IRevocationRules rules,
        IOptions<CredentialBrokerOptions> options,
        [FromKeyedServices(BrokerTime.ServiceKey)] TimeProvider time,
        ILogger<TaskIssuanceService> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _store = store;
        _audit = audit;
        _risk = risk;
        _policy = policy;
        _tokens = tokens;
        _taskRules = taskRules;
        _rules = rules;
        _options = options.Value;
        _time = time;
        _logger = logger;
    }

    /// <summary>Records and signs a task token for <paramref name="draft"/>, created by <paramref name="caller"/>.</summary>
    /// <param name="caller">The orchestrator.</param>
    /// <param name="draft">The validated request.</param>
    /// <param name="idempotencyKey">The request's <c>Idempotency-Key</c>, if any.</param>
    /// <param name="cancellationToken">Cancels the store calls.</param>
    /// <exception cref="StoreUnavailableException">The store did not answer; nothing was issued.</exception>
    public async ValueTask<TaskIssuance> IssueAsync(CallerIdentity caller, TaskDraft draft, string? idempotencyKey, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        ArgumentNullException.ThrowIfNull(draft);
        using var activity = BrokerTelemetry.Source.StartActivity(BrokerTelemetry.TaskIssueSpan);
        activity?.SetTag(BrokerTelemetryTags.Caller, caller.Id.Value).SetTag(BrokerTelemetryTags.Agent, draft.Agent);
        try
        {
            var issuance = await IssueCoreAsync(caller, draft, idempotencyKey, cancellationToken);
            activity?.SetTag(BrokerTelemetryTags.Outcome, OutcomeName(issuance.Outcome))
                .SetTag(BrokerTelemetryTags.TaskId, issuance.Task?.TaskId)
                .SetTag(BrokerTelemetryTags.Jti, issuance.Credential?.Jti);
            return issuance;
        }
        catch (Exception ex)
        {
            BrokerTelemetry.Failed(activity, ex);
            throw;
        }
    }

    private async ValueTask<TaskIssuance> IssueCoreAsync(CallerIdentity caller, TaskDraft draft, string? idempotencyKey, CancellationToken cancellationToken)
    {
        if (_taskRules.Check(draft) is { Any: true } invalid)
        {
            return new TaskIssuance(TaskIssuanceOutcome.Invalid, Errors: invalid);
        }

        // A quarantine covers the orchestrator asking as well as the agent the task would be for.
        if (_rules.QuarantineOfAny([caller.Id.Value, draft.Agent]) is { } quarantine)
        {
            LogQuarantined(_logger, caller.Id.Value, draft.Agent, quarantine.Id);
            await _audit.AppendAsync(AuditEvents.Create(AuditEventTypes.TaskDenied, _time.GetUtcNow(), caller.Id.Value, null, Draft(draft, new JsonObject
            {
                ["denied"] = "quarantined",
                ["quarantine"] = quarantine.Id,
            })), cancellationToken);
            return new TaskIssuance(TaskIssuanceOutcome.Quarantined, QuarantinedBy: quarantine.Id);
        }

        // NumericDate has whole seconds; records keep exactly what the token says.
        var now = _time.GetUtcNowSeconds();
        var scopedKey = idempotencyKey is null ? null : IdempotencyKeys.Scope(caller.Id.Value, idempotencyKey);
        var requestHash = idempotencyKey is null ? null : IdempotencyKeys.HashRequest(draft);
        if (scopedKey is not null && await _store.FindIdempotencyKeyAsync(scopedKey, cancellationToken) is { } earlier)
        {
            // A retry of a request that already succeeded gets the recorded task, not a new decision.
            if (await ReplayAsync(caller, earlier, requestHash!, cancellationToken) is { } replay)
            {
                return replay;
            }
        }

        var policy = _policy.Current;
        var grants = draft.Authorization.Select(g => g with { DataClass = policy.RegisteredDataClass(g.Destination) ?? g.DataClass }).ToList();
        var task = new TaskRecord(Identifiers.NewTaskId(), draft.Agent, draft.Workflow, grants, draft.Approval, draft.Origin,
            draft.MaxDelegationDepth, draft.MayAct, caller.Id.Value, now, now + draft.Ttl, TaskState.Created, now, null);
        var jti = Identifiers.NewJti();

        var risk = await _risk.GetAsync([draft.Agent, caller.Id.Value], draft.Workflow.Id, cancellationToken);
        var decision = PolicyDecision.Combine([.. grants.Select(g => policy.Evaluate(new PolicyInput(
            PolicyOperation.CreateTask, caller, task, new PolicyGrantRequest(g.Tool, g.Destination, g.Actions, g.DataClass, draft.Ttl, null, null, 0), risk, now)))]);
        if (decision.Allowed && decision.MaxTtl is { } limit && limit < draft.Ttl)
        {
            decision = decision with { Allowed = false, Reason = $"the TTL may be at most {(long)limit.TotalSeconds} s" };
        }

        if (!decision.Allowed)
        {
            // Nothing is claimed: a retry under the same key is decided afresh.
            LogPolicyDenied(_logger, caller.Id.Value, decision.RuleId, decision.PolicyVersion);
            await _audit.AppendAsync(AuditEvents.Create(AuditEventTypes.TaskDenied, now, caller.Id.Value, null, Draft(draft, new JsonObject
            {
                ["denied"] = "policy",
                ["decision"] = AuditEvents.Decision(false, decision.RuleId, decision.PolicyVersion, decision.Reason),
            })), cancellationToken);
            return new TaskIssuance(TaskIssuanceOutcome.PolicyDenied, Decision: decision);
        }

        if (scopedKey is not null)
        {
            // The key is claimed only for a request that will be recorded. A claim already there belongs to a concurrent
            // attempt or to one that died before recording its task: reuse its ids (the key names one task) with this
            // attempt's times, so the token is never born expired.
            var candidate = new IdempotencyRecord(scopedKey, requestHash!, task.TaskId, jti, now);
            var stored = await _store.ClaimIdempotencyKeyAsync(candidate, _options.IdempotencyKeyLifetime, cancellationToken);
            if (!ReferenceEquals(stored, candidate))
            {
                if (await ReplayAsync(caller, stored, requestHash!, cancellationToken) is { } replay)
                {
                    return replay;
                }

                (task, jti) = (task with { TaskId = stored.TaskId }, stored.Jti);
            }
        }

        var credential = new CredentialRecord(jti, task.TaskId, CredentialKind.Task, null, draft.Agent, now, task.ExpiresAt,
            Policy: new PolicyReference(decision.RuleId, decision.PolicyVersion), Binding: draft.Binding);
        var details = AuditEvents.Credential(credential);
        details["grants"] = new JsonArray([.. task.Authorization.Select(g => (JsonNode)new JsonObject
        {
            ["tool"] = g.Tool,
            ["destination"] = g.Destination,
            ["actions"] = new JsonArray([.. g.Actions.Select(a => (JsonNode)JsonValue.Create(a))]),
        })]);
        details["mayAct"] = new JsonArray([.. task.MayAct.Select(m => (JsonNode)JsonValue.Create(m))]);
        details["maxDelegationDepth"] = task.MaxDelegationDepth;
        var creation = await _store.CreateTaskAsync(task, credential, AuditEvents.Create(AuditEventTypes.TaskCreated, now, caller.Id.Value, task, details), cancellationToken);

        var token = _tokens.SignTaskToken(creation.Task, creation.TaskToken);
        if (creation.Created)
        {
            LogTaskIssued(_logger, task.TaskId, jti, draft.Agent, caller.Id.Value, (long)draft.Ttl.TotalSeconds);
            return new TaskIssuance(TaskIssuanceOutcome.Issued, creation.Task, creation.TaskToken, token);
        }

        LogTaskReplayed(_logger, creation.Task.TaskId, creation.TaskToken.Jti, caller.Id.Value);
        return new TaskIssuance(TaskIssuanceOutcome.Replayed, creation.Task, creation.TaskToken, token);
    }

    /// <summary>
    /// What a request under an already claimed key gets: a refusal when the key was used for a different request, the
    /// recorded task when the claim's task exists, otherwise <see langword="null"/> (the claim's writer never recorded it).
    /// </summary>
    private async ValueTask<TaskIssuance?> ReplayAsync(CallerIdentity caller, IdempotencyRecord claim, string requestHash, CancellationToken cancellationToken)
    {
        if (!string.Equals(claim.RequestHash, requestHash, StringComparison.Ordinal))
        {
            LogIdempotencyKeyReused(_logger, caller.Id.Value);
            return new TaskIssuance(TaskIssuanceOutcome.IdempotencyKeyReused);
        }

        if (await _store.GetTaskAsync(claim.TaskId, cancellationToken) is { } earlier && earlier.Credentials.FirstOrDefault(c => c.Jti == claim.Jti) is { } earlierToken)
        {
            if (earlierToken.StatusAt(_time.GetUtcNow()) != CredentialStatus.Active || TaskStateMachine.IsTerminal(earlier.Task.State))
            {
                return new TaskIssuance(TaskIssuanceOutcome.IdempotentTaskEnded, earlier.Task);
            }

            LogTaskReplayed(_logger, claim.TaskId, claim.Jti, caller.Id.Value);
            return new TaskIssuance(TaskIssuanceOutcome.Replayed, earlier.Task, earlierToken, _tokens.SignTaskToken(earlier.Task, earlierToken));
        }

        return null;
    }

    // A refused request has no task: its event carries what was asked for, so the refusal can be traced to who asked.
    private static JsonObject Draft(TaskDraft draft, JsonObject details)
    {
        details["agent"] = draft.Agent;
        details["workflow"] = new JsonObject { ["id"] = draft.Workflow.Id, ["designer"] = draft.Workflow.Designer, ["version"] = draft.Workflow.Version };
        if (draft.Approval is { } approval)
        {
            details["approval"] = new JsonObject { ["id"] = approval.Id, ["approver"] = approval.Approver };
        }

        if (draft.Origin is { } origin)
        {
            details["origin"] = new JsonObject { ["promptId"] = origin.PromptId, ["requestedBy"] = origin.RequestedBy };
        }

        return details;
    }

    private static string OutcomeName(TaskIssuanceOutcome outcome) => outcome switch
    {
        TaskIssuanceOutcome.Issued => "issued",
        TaskIssuanceOutcome.Invalid => "invalid",
        TaskIssuanceOutcome.Replayed => "replayed",
        TaskIssuanceOutcome.IdempotencyKeyReused => "idempotency_key_reused",
        TaskIssuanceOutcome.IdempotentTaskEnded => "idempotent_task_ended",
        TaskIssuanceOutcome.PolicyDenied => "policy_denied",
        TaskIssuanceOutcome.Quarantined => "quarantined",
        _ => outcome.ToString(),
    };

    [LoggerMessage(EventId = 1000, EventName = "TaskIssued", Level = LogLevel.Information,
        Message = "Issued task {TaskId} token {Jti} to {Agent} for {Orchestrator}, TTL {TtlSeconds} s")]
    private static partial void LogTaskIssued(ILogger logger, string taskId, string jti, string agent, string orchestrator, long ttlSeconds);

    [LoggerMessage(EventId = 1001, EventName = "TaskReplayed", Level = LogLevel.Information,
        Message = "Idempotent retry returned task {TaskId} token {Jti} to {Orchestrator}")]
    private static partial void LogTaskReplayed(ILogger logger, string taskId, string jti, string orchestrator);

    [LoggerMessage(EventId = 1004, EventName = "TaskAgentQuarantined", Level = LogLevel.Warning,
        Message = "Refused a task by {Orchestrator} for {Agent}: one of them is quarantined by bulk revocation {Revocation}")]
    private static partial void LogQuarantined(ILogger logger, string orchestrator, string agent, string revocation);

    [LoggerMessage(EventId = 1003, EventName = "TaskPolicyDenied", Level = LogLevel.Information,
        Message = "Policy rule {Rule} (policy {PolicyVersion}) denied a task for {Orchestrator}")]
    private static partial void LogPolicyDenied(ILogger logger, string orchestrator, string rule, string policyVersion);

    [LoggerMessage(EventId = 1002, EventName = "IdempotencyKeyReused", Level = LogLevel.Warning,
        Message = "{Orchestrator} reused an Idempotency-Key for a different request; nothing issued")]
    private static partial void LogIdempotencyKeyReused(ILogger logger, string orchestrator);
}
