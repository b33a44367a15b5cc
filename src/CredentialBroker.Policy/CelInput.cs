using CredentialBroker.Abstractions;
using CredentialBroker.Abstractions.Identity;
using CredentialBroker.Abstractions.Policy;
using CredentialBroker.Abstractions.Tasks;

namespace CredentialBroker.Policy;

/// <summary>
/// The variables a rule's CEL condition sees: <c>operation</c>, <c>caller</c>, <c>task</c>, <c>request</c>,
/// <c>facts</c> and <c>now</c>. Every member is always present (null when unknown), so a condition can
/// test anything without failing on a missing key. docs/policy.md lists them all.
/// </summary>
internal static class CelInput
{
    // Every combination of the five roles, written once (conditions only read them).
    private static readonly object?[][] RoleNameSets = [.. Enumerable.Range(0, 32).Select(r => RoleNames((BrokerRoles)r))];

    public static Dictionary<string, object?> From(PolicyInput input, string? registeredDataClass)
    {
        var task = input.Task;
        var request = input.Request;
        return new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["operation"] = OperationName(input.Operation),
            ["caller"] = new Dictionary<string, object?>(StringComparer.Ordinal)
            {
                ["id"] = input.Caller.Id.Value,
                ["trustDomain"] = input.Caller.Id.TrustDomain,
                ["path"] = input.Caller.Id.Path,
                ["roles"] = (int)input.Caller.Roles is >= 0 and < 32 ? RoleNameSets[(int)input.Caller.Roles] : RoleNames(input.Caller.Roles),
            },
            ["task"] = new Dictionary<string, object?>(StringComparer.Ordinal)
            {
                ["id"] = task.TaskId,
                ["agent"] = task.Agent,
                ["workflow"] = new Dictionary<string, object?>(StringComparer.Ordinal)
                {
                    ["id"] = task.Workflow.Id,
                    ["designer"] = task.Workflow.Designer,
                    ["version"] = task.Workflow.Version,
                },
                ["approval"] = task.Approval is null ? null : new Dictionary<string, object?>(StringComparer.Ordinal)
                {
                    ["id"] = task.Approval.Id,
                    ["approver"] = task.Approval.Approver,
                    ["approvedAt"] = task.Approval.ApprovedAt,
                },
                ["origin"] = new Dictionary<string, object?>(StringComparer.Ordinal)
                {
                    ["promptId"] = task.Origin?.PromptId,
                    ["promptSha256"] = task.Origin?.PromptSha256,
                    ["requestedBy"] = task.Origin?.RequestedBy,
                },
                ["maxDelegationDepth"] = (long)task.MaxDelegationDepth,
                ["mayAct"] = task.MayAct.Cast<object?>().ToArray(),
                ["createdBy"] = task.CreatedBy,
                ["state"] = TaskStateMachine.ToWireName(task.State),
                ["createdAt"] = task.CreatedAt,
                ["expiresAt"] = task.ExpiresAt,
            },
            ["request"] = new Dictionary<string, object?>(StringComparer.Ordinal)
            {
                ["tool"] = request.Tool,
                ["destination"] = request.Destination,
                ["actions"] = request.Actions.Cast<object?>().ToArray(),
                ["dataClass"] = request.DeclaredDataClass,
                ["ttlSeconds"] = (long)request.Ttl.TotalSeconds,
                ["audience"] = request.Audience,
                ["actor"] = request.Actor,
                ["depth"] = (long)request.Depth,
                ["tokenType"] = request.TokenType,
            },
            ["facts"] = new Dictionary<string, object?>(StringComparer.Ordinal)
            {
                ["dataClass"] = registeredDataClass,
                ["secretKind"] = request.SecretKind,
                ["risk"] = new Dictionary<string, object?>(StringComparer.Ordinal)
                {
                    ["agent"] = RiskLevels.ToWireName(input.Risk.Of(task.Agent)),
                    ["caller"] = RiskLevels.ToWireName(input.Risk.Of(input.Caller.Id.Value)),
                    ["actor"] = RiskLevels.ToWireName(input.Risk.Of(request.Actor)),
                    ["workflow"] = RiskLevels.ToWireName(input.Risk.Workflow),
                },
            },
            ["now"] = input.Now,
        };
    }

    public static string OperationName(PolicyOperation operation) => operation switch
    {
        PolicyOperation.CreateTask => "create_task",
        PolicyOperation.Exchange => "exchange",
        PolicyOperation.Delegate => "delegate",
        PolicyOperation.Continue => "continue",
        _ => throw new ArgumentOutOfRangeException(nameof(operation)),
    };

    public static bool TryParseOperation(string? name, out PolicyOperation operation) => WireNames.TryParse(name, OperationName, out operation);

    private static object?[] RoleNames(BrokerRoles roles)
    {
        var names = new List<object?>();
        if (roles.HasFlag(BrokerRoles.Orchestrator))
        {
            names.Add("orchestrator");
        }

        if (roles.HasFlag(BrokerRoles.Agent))
        {
            names.Add("agent");
        }

        if (roles.HasFlag(BrokerRoles.Soc))
        {
            names.Add("soc");
        }

        if (roles.HasFlag(BrokerRoles.ResourceServer))
        {
            names.Add("resource_server");
        }

        if (roles.HasFlag(BrokerRoles.Operator))
        {
            names.Add("operator");
        }

        return [.. names];
    }

    /// <summary>A fully populated input, for dry-running conditions at load time.</summary>
    public static PolicyInput Sample()
    {
        var now = DateTimeOffset.UnixEpoch.AddYears(56);
        var task = new TaskRecord("tsk_sample", "spiffe://sample.example/agent", new WorkflowRef("wf", "designer", "1"),
            [new AuthorizationGrant("tool", "https://sample.example", ["read"], "internal")],
            new TaskApproval("approval", "approver", now), new TaskOrigin("prompt", new string('0', 64), "user"),
            1, [], "spiffe://sample.example/orchestrator", now, now.AddMinutes(5), TaskState.Running, now, null);
        var caller = new CallerIdentity(SpiffeId.Parse("spiffe://sample.example/agent"), BrokerRoles.Agent, CallerAuthenticationMethod.JwtSvidBearer, now.AddMinutes(5));
        return new PolicyInput(PolicyOperation.Delegate, caller, task,
            new PolicyGrantRequest("tool", "https://sample.example", ["read"], "internal", TimeSpan.FromMinutes(5), "https://sample.example", "spiffe://sample.example/sub", 1),
            new RiskFacts(new Dictionary<string, RiskLevel>(), RiskLevel.None), now);
    }
}
