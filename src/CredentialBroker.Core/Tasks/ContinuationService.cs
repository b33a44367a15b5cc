using System.Text.Json.Nodes;
using CredentialBroker.Abstractions;
using CredentialBroker.Abstractions.Audit;
using CredentialBroker.Abstractions.Identity;
using CredentialBroker.Abstractions.Policy;
using CredentialBroker.Abstractions.Revocation;
using CredentialBroker.Abstractions.Soc;
using CredentialBroker.Abstractions.Storage;
using CredentialBroker.Abstractions.Tasks;
using CredentialBroker.Core.Issuance;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CredentialBroker.Core.Tasks;

/// <summary>
/// Continuation approvals: a task outlives its deadline only when an operator permits it. The operator names how long
/// (bounded by <see cref="CredentialBrokerOptions.MaxTaskTtl"/> and by policy: the <c>continue</c> operation, with the
/// extension as the requested lifetime) and why; the broker records who permitted it in the boundary log in the same
/// step as the new deadline and the fresh task token, then revokes the old task token. A task awaiting approval resumes
/// only this way.
/// </summary>
public sealed partial class ContinuationService
{
    private readonly ICredentialStore _store;
    private readonly IPolicySource _policy;
    private readonly IRiskRegistry _risk;
    private readonly IRevocationRules _rules;
    private readonly TokenFactory _tokens;
    private readonly IRevocationSignal _signal;
    private readonly CredentialBrokerOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<ContinuationService> _logger;

    /// <summary>Creates the service.</summary>
    public ContinuationService(
        ICredentialStore store,
        IPolicySource policy,
        IRiskRegistry risk,
        IRevocationRules rules,
        TokenFactory tokens,
        IRevocationSignal signal,
        IOptions<CredentialBrokerOptions> options,
        [FromKeyedServices(BrokerTime.ServiceKey)] TimeProvider time,
        ILogger<ContinuationService> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _store = store;
        _policy = policy;
        _risk = risk;
        _rules = rules;
        _tokens = tokens;
        _signal = signal;
        _options = options.Value;
        _time = time;
        _logger = logger;
    }

    /// <summary>Lets <paramref name="taskId"/> continue for <paramref name="extension"/> from now, for <paramref name="caller"/> (an operator).</summary>
    /// <exception cref="StoreUnavailableException">The store did not answer; the task was not continued.</exception>
    public async ValueTask<Continuation> ContinueAsync(CallerIdentity caller, string taskId, TimeSpan extension, string reason, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        if (extension < TimeSpan.FromSeconds(1) || extension > _options.MaxTaskTtl)
        {
            return new Continuation(ContinuationOutcome.Invalid, Detail: $"extendSeconds must lie between 1 and {(long)_options.MaxTaskTtl.TotalSeconds} (MaxTaskTtl).");
        }

        if (await _store.GetTaskAsync(taskId, cancellationToken) is not { } view)
        {
            return new Continuation(ContinuationOutcome.NotFound);
        }

        var task = view.Task;
        if (TaskStateMachine.IsTerminal(task.State))
        {
            return new Continuation(ContinuationOutcome.Ended, task);
        }

        if (_rules.QuarantineOfAny([task.Agent, task.CreatedBy]) is { } quarantine)
        {
            return new Continuation(ContinuationOutcome.Quarantined, task, Detail: quarantine.Id);
        }

        var now = _time.GetUtcNowSeconds();
        var policy = _policy.Current;
        var risk = await _risk.GetAsync([task.Agent, task.CreatedBy], task.Workflow.Id, cancellationToken);
        var decision = PolicyDecision.Combine([.. task.Authorization.Select(g => policy.Evaluate(new PolicyInput(
            PolicyOperation.Continue, caller, task, new PolicyGrantRequest(g.Tool, g.Destination, g.Actions, g.DataClass, extension, null, null, 0), risk, now)))]);
        if (decision.Allowed && decision.MaxTtl is { } limit && limit < extension)
        {
            decision = decision with { Allowed = false, Reason = $"a continuation may be at most {(long)limit.TotalSeconds} s" };
        }

        if (!decision.Allowed)
        {
            LogDenied(_logger, taskId, caller.Id.Value, decision.RuleId);
            return new Continuation(ContinuationOutcome.PolicyDenied, task, Decision: decision);
        }

        var previous = view.Credentials.Where(c => c.Kind == CredentialKind.Task && c.StatusAt(now) == CredentialStatus.Active).ToList();
        var token = new CredentialRecord(Identifiers.NewJti(), taskId, CredentialKind.Task, null, task.Agent, now, now + extension,
            Policy: new PolicyReference(decision.RuleId, decision.PolicyVersion), Binding: view.Credentials[0].Binding);
        var details = AuditEvents.Credential(token);
        details["operator"] = caller.Id.Value;
        details["reason"] = reason;
        details["extendSeconds"] = (long)extension.TotalSeconds;
        details["previousDeadline"] = task.ExpiresAt.ToUnixTimeSeconds();
        details["replaces"] = new JsonArray([.. previous.Select(c => (JsonNode)JsonValue.Create(c.Jti))]);
        details["resumed"] = task.State == TaskState.AwaitingApproval;
        // The fresh token replaces the old ones: they go with their subtrees (agents exchange the new one) before the fresh
        // one is recorded, so a broker that dies in between leaves no live task token rather than two (fail closed: the
        // operator's retry issues one). A continuation that then finds another came first revokes nothing that one did not.
        var at = _time.GetUtcNowMilliseconds();
        foreach (var old in previous)
        {
            await _store.RevokeSubtreeAsync(taskId, old.Jti, at, RevocationReasons.TaskState, AuditEvents.Create(
                AuditEventTypes.RevocationRecorded, at, caller.Id.Value, task, new JsonObject { ["jti"] = old.Jti, ["reason"] = RevocationReasons.TaskState, ["replacedBy"] = token.Jti }), cancellationToken);
        }

        _signal.WorkAvailable();
        var change = await _store.ContinueTaskAsync(taskId, token, TaskStateMachine.SourcesOf(TaskState.Completed), view.Continuations, now,
            AuditEvents.Create(AuditEventTypes.Continuation, now, caller.Id.Value, task, details), cancellationToken);
        if (change.Outcome == StateChangeOutcome.NotFound)
        {
            return new Continuation(ContinuationOutcome.NotFound);
        }

        if (change.Outcome == StateChangeOutcome.Illegal)
        {
            return new Continuation(ContinuationOutcome.Ended, task with { State = change.PreviousState });
        }

        if (change.Outcome == StateChangeOutcome.Unchanged)
        {
            // Another continuation came since this one read the task: it alone holds the live task token.
            return new Continuation(ContinuationOutcome.Superseded, task);
        }

        var continued = task with
        {
            ExpiresAt = token.ExpiresAt,
            State = task.State == TaskState.AwaitingApproval ? TaskState.Running : task.State,
        };
        LogContinued(_logger, taskId, caller.Id.Value, (long)extension.TotalSeconds, token.Jti);
        var recorded = change.Recorded ?? token;
        return new Continuation(ContinuationOutcome.Continued, continued, recorded, _tokens.SignTaskToken(continued, recorded), decision, Operator: caller.Id.Value);
    }

    [LoggerMessage(EventId = 1110, EventName = "TaskContinued", Level = LogLevel.Information,
        Message = "Task {TaskId} continued for {Seconds} s by operator {Operator}; new task token {Jti}")]
    private static partial void LogContinued(ILogger logger, string taskId, string @operator, long seconds, string jti);

    [LoggerMessage(EventId = 1111, EventName = "ContinuationDenied", Level = LogLevel.Information,
        Message = "Continuation of task {TaskId} by {Operator} denied by policy rule {RuleId}")]
    private static partial void LogDenied(ILogger logger, string taskId, string @operator, string ruleId);
}
