using CredentialBroker.Abstractions;
using CredentialBroker.Abstractions.Identity;
using CredentialBroker.Abstractions.Policy;
using CredentialBroker.Abstractions.Storage;
using CredentialBroker.Abstractions.Tasks;
using CredentialBroker.Core;
using CredentialBroker.Core.Identity;
using CredentialBroker.Core.Issuance;
using CredentialBroker.Core.Tasks;
using CredentialBroker.EmbeddedStore;
using CredentialBroker.Server.Identity;
using CredentialBroker.Server.Problems;
using CredentialBroker.Server.RateLimiting;
using Microsoft.Extensions.Options;

namespace CredentialBroker.Server.Tasks;

/// <summary>The orchestrator's endpoints: create a task, read it, change its state.</summary>
internal static class TaskEndpoints
{
    public static void MapTaskEndpoints(this IEndpointRouteBuilder app)
    {
        var tasks = app.MapGroup("/v1/tasks");
        tasks.MapPost("/", CreateAsync).RequireAuthorization(BrokerPolicies.Orchestrator).RequireRateLimiting(BrokerRateLimits.Issuance);
        tasks.MapGet("/{taskId}", GetAsync).RequireAuthorization(BrokerPolicies.OrchestratorOrSoc);
        tasks.MapPost("/{taskId}/state", ChangeStateAsync).RequireAuthorization(BrokerPolicies.OrchestratorOrSoc);
        tasks.MapPost("/{taskId}/continuation", ContinueAsync).RequireAuthorization(BrokerPolicies.Operator);
    }

    private static async Task<IResult> CreateAsync(
        HttpContext http,
        TaskIssuanceService issuance,
        TaskRules rules)
    {
        var idempotencyKey = http.Request.Headers["Idempotency-Key"];
        if (idempotencyKey.Count > 1 || (idempotencyKey.Count == 1 && !IsValidIdempotencyKey(idempotencyKey[0])))
        {
            return ProblemResults.BadRequest($"Idempotency-Key must be one header of 1 to {IdempotencyKeys.MaxLength} printable ASCII characters.");
        }

        var (request, error) = await JsonBody.ReadAsync(http.Request, ServerJsonContext.Default.CreateTaskRequest);
        if (error is not null)
        {
            return error;
        }

        var draft = TaskRequestValidator.Validate(request!, rules, out var errors);
        if (draft is null)
        {
            return ProblemResults.Validation(errors);
        }

        var issued = await issuance.IssueAsync(http.Caller(), draft, idempotencyKey.Count == 1 ? idempotencyKey[0] : null, http.RequestAborted);
        if (issued.Outcome == TaskIssuanceOutcome.Invalid)
        {
            return ProblemResults.Validation(issued.Errors!);
        }

        if (issued.Outcome == TaskIssuanceOutcome.IdempotencyKeyReused)
        {
            return ProblemResults.IdempotencyKeyReused();
        }

        if (issued.Outcome == TaskIssuanceOutcome.IdempotentTaskEnded)
        {
            return ProblemResults.Create(StatusCodes.Status409Conflict, ErrorCodes.IdempotentTaskEnded, "The idempotent task has ended",
                $"The task this Idempotency-Key created ({issued.Task!.TaskId}) has ended or its token is no longer valid; a retry never gets a dead token. Use a new key for a new task.",
                new Dictionary<string, object?> { ["taskId"] = issued.Task.TaskId });
        }

        if (issued.Outcome == TaskIssuanceOutcome.PolicyDenied)
        {
            var decision = issued.Decision!;
            return ProblemResults.Create(StatusCodes.Status403Forbidden, ErrorCodes.PolicyDenied, "Denied by policy",
                $"Policy rule '{decision.RuleId}' denied the task: {decision.Reason}.",
                new Dictionary<string, object?> { ["rule"] = decision.RuleId, ["policyVersion"] = decision.PolicyVersion });
        }

        if (issued.Outcome == TaskIssuanceOutcome.Quarantined)
        {
            return ProblemResults.Create(StatusCodes.Status403Forbidden, ErrorCodes.Quarantined, "Agent quarantined",
                $"The SOC quarantined the agent (bulk revocation {issued.QuarantinedBy}); no new tasks until the quarantine is lifted.",
                new Dictionary<string, object?> { ["revocationId"] = issued.QuarantinedBy });
        }

        http.Response.Headers.CacheControl = "no-store";
        if (issued.Outcome == TaskIssuanceOutcome.Replayed)
        {
            http.Response.Headers["Idempotent-Replayed"] = "true";
        }

        var task = issued.Task!;
        return TypedResults.Created(
            $"/v1/tasks/{task.TaskId}",
            new CreateTaskResponse(task.TaskId, issued.Token!, issued.Credential!.Jti, issued.Credential.ExpiresAt.UtcDateTime, TaskStateMachine.ToWireName(task.State)));
    }

    private static async Task<IResult> GetAsync(string taskId, HttpContext http, TaskService tasks, [FromKeyedServices(BrokerTime.ServiceKey)] TimeProvider time)
    {
        var view = await tasks.GetAsync(http.Caller(), taskId, http.RequestAborted);
        return view is null
            ? TaskNotFound(taskId)
            : TypedResults.Ok(TaskResponse.From(view, time.GetUtcNow()));
    }

    private static async Task<IResult> ChangeStateAsync(string taskId, HttpContext http, TaskService tasks, [FromKeyedServices(BrokerTime.ServiceKey)] TimeProvider time)
    {
        var (request, error) = await JsonBody.ReadAsync(http.Request, ServerJsonContext.Default.ChangeStateRequest);
        if (error is not null)
        {
            return error;
        }

        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (!TaskStateMachine.TryParseWireName(request!.State, out var target))
        {
            errors["state"] = ["must be one of running, paused, awaiting_approval, completed, failed, cancelled"];
        }

        if (request.Reason is { Length: > 1024 })
        {
            errors["reason"] = ["at most 1024 characters"];
        }

        if (errors.Count > 0)
        {
            return ProblemResults.Validation(errors);
        }

        var transition = await tasks.ChangeStateAsync(http.Caller(), taskId, target, request.Reason, http.RequestAborted);
        return transition.Outcome switch
        {
            StateChangeOutcome.NotFound => TaskNotFound(taskId),
            StateChangeOutcome.Illegal => ProblemResults.Conflict(
                $"A task in state '{TaskStateMachine.ToWireName(transition.PreviousState)}' cannot move to '{request.State}'." +
                (transition.PreviousState == TaskState.AwaitingApproval && target == TaskState.Running
                    ? " It resumes only through an operator's approval: POST /v1/tasks/{taskId}/continuation."
                    : string.Empty),
                new Dictionary<string, object?> { ["currentState"] = TaskStateMachine.ToWireName(transition.PreviousState) }),
            _ when transition.Task is null => TaskNotFound(taskId),
            _ => TypedResults.Ok(TaskResponse.From(transition.Task, time.GetUtcNow(), transition.Revoked)),
        };
    }

    private static async Task<IResult> ContinueAsync(string taskId, HttpContext http, ContinuationService continuations)
    {
        var (request, error) = await JsonBody.ReadAsync(http.Request, ServerJsonContext.Default.ContinuationRequest);
        if (error is not null)
        {
            return error;
        }

        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (request!.ExtendSeconds is not { } seconds || seconds < 1)
        {
            errors["extendSeconds"] = ["required: a whole number of seconds, at least 1"];
        }

        if (string.IsNullOrWhiteSpace(request.Reason) || request.Reason.Length > 1024)
        {
            errors["reason"] = ["required: why the task may continue, 1 to 1024 characters"];
        }

        if (errors.Count > 0)
        {
            return ProblemResults.Validation(errors);
        }

        var result = await continuations.ContinueAsync(http.Caller(), taskId, TimeSpan.FromSeconds(Math.Min(request.ExtendSeconds!.Value, int.MaxValue)), request.Reason!, http.RequestAborted);
        return result.Outcome switch
        {
            ContinuationOutcome.Continued => TypedResults.Ok(ContinuationResponse.From(result)),
            ContinuationOutcome.Invalid => ProblemResults.Validation(new Dictionary<string, string[]>(StringComparer.Ordinal) { ["extendSeconds"] = [result.Detail!] }),
            ContinuationOutcome.NotFound => TaskNotFound(taskId),
            ContinuationOutcome.Ended => ProblemResults.Conflict(
                $"The task is {TaskStateMachine.ToWireName(result.Task!.State)}; an ended task cannot continue.",
                new Dictionary<string, object?> { ["currentState"] = TaskStateMachine.ToWireName(result.Task.State) }),
            ContinuationOutcome.Quarantined => ProblemResults.Create(StatusCodes.Status403Forbidden, ErrorCodes.Quarantined, "Workload quarantined",
                $"The SOC quarantined the task's agent or orchestrator (bulk revocation {result.Detail}); the task cannot continue.",
                new Dictionary<string, object?> { ["revocationId"] = result.Detail }),
            ContinuationOutcome.Superseded => ProblemResults.Conflict(
                "Another continuation of this task came first; it holds the task's live token. Read the task and decide again.",
                new Dictionary<string, object?> { ["currentState"] = TaskStateMachine.ToWireName(result.Task!.State) }),
            _ => ProblemResults.Create(StatusCodes.Status403Forbidden, ErrorCodes.PolicyDenied, "Denied by policy",
                $"Policy rule '{result.Decision!.RuleId}' denied the continuation: {result.Decision.Reason}.",
                new Dictionary<string, object?> { ["rule"] = result.Decision.RuleId, ["policyVersion"] = result.Decision.PolicyVersion }),
        };
    }

    private static IResult TaskNotFound(string taskId) =>
        ProblemResults.NotFound($"No task '{(taskId.Length <= 64 ? taskId : taskId[..64] + "…")}' that you may see.");

    private static bool IsValidIdempotencyKey(string? key) =>
        key is { Length: > 0 and <= IdempotencyKeys.MaxLength } && key.All(c => c is >= ' ' and <= '~');
}
