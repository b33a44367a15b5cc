using System.Text.Json.Nodes;
using CredentialBroker.Abstractions.Audit;
using CredentialBroker.Abstractions;
using CredentialBroker.Abstractions.Identity;
using CredentialBroker.Abstractions.Policy;
using CredentialBroker.Abstractions.Revocation;
using CredentialBroker.Abstractions.Storage;
using CredentialBroker.Abstractions.Tasks;
using CredentialBroker.Core;
using CredentialBroker.Core.Identity;
using CredentialBroker.Core.Revocation;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CredentialBroker.Core.Tasks;

/// <summary>
/// Reads tasks and moves them through their state machine. Only the orchestrator that created a task, or
/// the SOC, may see or change it; to anyone else it does not exist. Terminal states revoke every
/// credential of the task in the same atomic store step as the state change; other states revoke what the
/// policy's state-revocation table says (by default: pausing and awaiting approval revoke downstream
/// credentials). The revoker is told at once, so downstream revocation starts without waiting for a poll.
/// </summary>
public sealed partial class TaskService
{
    private readonly ICredentialStore _store;
    private readonly IPolicySource _policy;
    private readonly IRevocationSignal _signal;
    private readonly TimeProvider _time;
    private readonly ILogger<TaskService> _logger;

    /// <summary>Creates the service.</summary>
    public TaskService(ICredentialStore store, IPolicySource policy, IRevocationSignal signal, [FromKeyedServices(BrokerTime.ServiceKey)] TimeProvider time, ILogger<TaskService> logger)
    {
        _store = store;
        _policy = policy;
        _signal = signal;
        _time = time;
        _logger = logger;
    }

    /// <summary>The task with its credentials, or <see langword="null"/> when it does not exist or the caller may not see it.</summary>
    public async ValueTask<TaskView?> GetAsync(CallerIdentity caller, string taskId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        var view = await _store.GetTaskAsync(taskId, cancellationToken);
        return view is not null && MayManage(caller, view.Task) ? view : null;
    }

    /// <summary>Moves the task to <paramref name="target"/> if that is legal from where it is now.</summary>
    public async ValueTask<StateTransition> ChangeStateAsync(CallerIdentity caller, string taskId, TaskState target, string? reason, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        using var activity = BrokerTelemetry.Source.StartActivity(BrokerTelemetry.TaskStateChangeSpan);
        activity?.SetTag(BrokerTelemetryTags.Caller, caller.Id.Value).SetTag(BrokerTelemetryTags.TaskId, taskId)
            .SetTag(BrokerTelemetryTags.TaskState, TaskStateMachine.ToWireName(target));
        try
        {
            var transition = await ChangeStateCoreAsync(caller, taskId, target, reason, cancellationToken);
            activity?.SetTag(BrokerTelemetryTags.Outcome, transition.Outcome switch
            {
                StateChangeOutcome.Changed => "changed",
                StateChangeOutcome.Unchanged => "unchanged",
                StateChangeOutcome.Illegal => "illegal",
                StateChangeOutcome.NotFound => "not_found",
                _ => transition.Outcome.ToString(),
            }).SetTag(BrokerTelemetryTags.Revoked, transition.Revoked);
            if (transition.Outcome != StateChangeOutcome.NotFound)
            {
                activity?.SetTag(BrokerTelemetryTags.PreviousTaskState, TaskStateMachine.ToWireName(transition.PreviousState));
            }

            return transition;
        }
        catch (Exception ex)
        {
            BrokerTelemetry.Failed(activity, ex);
            throw;
        }
    }

    private async ValueTask<StateTransition> ChangeStateCoreAsync(CallerIdentity caller, string taskId, TaskState target, string? reason, CancellationToken cancellationToken)
    {
        if (await GetAsync(caller, taskId, cancellationToken) is not { } before)
        {
            return new StateTransition(StateChangeOutcome.NotFound, null, default, 0);
        }

        var at = _time.GetUtcNowMilliseconds();
        var revokeKinds = _policy.Current.RevokedOnEntering(before.Task.Workflow.Id, target);
        var change = await _store.ChangeStateAsync(new StateChangeRequest(
            taskId,
            target,
            TaskStateMachine.SourcesOf(target),
            at,
            reason,
            revokeKinds,
            target == TaskState.Completed ? RevocationReasons.TaskCompleted : RevocationReasons.TaskState,
            AuditEvents.Create(AuditEventTypes.StateChanged, at, caller.Id.Value, before.Task, new JsonObject
            {
                ["from"] = TaskStateMachine.ToWireName(before.Task.State),
                ["to"] = TaskStateMachine.ToWireName(target),
                ["reason"] = reason,
                ["revokes"] = new JsonArray([.. revokeKinds.Select(k => (JsonNode)JsonValue.Create(CredentialKinds.ToWireName(k)))]),
            })), cancellationToken);
        if (change.Revoked > 0)
        {
            _signal.WorkAvailable();
        }

        switch (change.Outcome)
        {
            case StateChangeOutcome.Illegal:
                LogIllegalTransition(_logger, taskId, change.PreviousState, target);
                return new StateTransition(StateChangeOutcome.Illegal, null, change.PreviousState, 0);
            case StateChangeOutcome.NotFound:
                return new StateTransition(StateChangeOutcome.NotFound, null, default, 0);
            case StateChangeOutcome.Changed:
                LogStateChanged(_logger, taskId, change.PreviousState, target, change.Revoked, caller.Id.Value);
                break;
        }

        var after = await _store.GetTaskAsync(taskId, cancellationToken);
        return new StateTransition(change.Outcome, after, change.PreviousState, change.Revoked);
    }

    private static bool MayManage(CallerIdentity caller, TaskRecord task) =>
        caller.HasAnyRole(BrokerRoles.Soc) || string.Equals(caller.Id.Value, task.CreatedBy, StringComparison.Ordinal);

    [LoggerMessage(EventId = 1100, EventName = "TaskStateChanged", Level = LogLevel.Information,
        Message = "Task {TaskId} moved {From} -> {To}, revoking {Revoked} credentials, by {Caller}")]
    private static partial void LogStateChanged(ILogger logger, string taskId, TaskState from, TaskState to, int revoked, string caller);

    [LoggerMessage(EventId = 1101, EventName = "IllegalTransition", Level = LogLevel.Information,
        Message = "Task {TaskId} cannot move {From} -> {To}")]
    private static partial void LogIllegalTransition(ILogger logger, string taskId, TaskState from, TaskState to);
}
