using CredentialBroker.Abstractions.Identity;
using CredentialBroker.Abstractions.Policy;
using CredentialBroker.Abstractions.Tasks;
using YamlDotNet.Core;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace CredentialBroker.Policy.Testing;

/// <summary>
/// Runs policy test cases against a policy, through the same input conversion the broker uses. A directory
/// holds the policy documents (<c>*.yaml</c>) and the test files (<c>*_test.yaml</c>) side by side.
/// </summary>
public static class PolicyTestRunner
{
    private static readonly DateTimeOffset DefaultNow = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static readonly IDeserializer Yaml = new DeserializerBuilder()
        .WithNamingConvention(CamelCaseNamingConvention.Instance)
        .WithDuplicateKeyChecking()
        .Build();

    /// <summary>Loads the policy in <paramref name="directory"/> and runs every case of its test files.</summary>
    /// <exception cref="PolicyLoadException">The policy does not load.</exception>
    public static IReadOnlyList<PolicyTestResult> RunDirectory(string directory)
    {
        var policy = PolicyLoader.Load(directory);
        var testFiles = Directory.EnumerateFiles(directory).Where(PolicyLoader.IsTestFile).Order(StringComparer.Ordinal).ToList();
        if (testFiles.Count == 0)
        {
            throw new PolicyLoadException($"The directory '{directory}' holds no test file (*_test.yaml).");
        }

        return [.. testFiles.SelectMany(f => Run(policy, Path.GetFileName(f), File.ReadAllText(f)))];
    }

    /// <summary>Runs the cases of one test document against <paramref name="policy"/>.</summary>
    public static IReadOnlyList<PolicyTestResult> Run(IPolicy policy, string file, string yaml)
    {
        ArgumentNullException.ThrowIfNull(policy);
        PolicyTestDocument? document;
        try
        {
            document = Yaml.Deserialize<PolicyTestDocument?>(yaml);
        }
        catch (YamlException ex)
        {
            return [new PolicyTestResult(file, $"line {ex.Start.Line}", false, null, (ex.InnerException ?? ex).Message)];
        }

        if (document?.Cases is not { Count: > 0 } cases)
        {
            return [new PolicyTestResult(file, "cases", false, null, "the file has no cases")];
        }

        return [.. cases.Select((c, i) => RunCase(policy, file, c, i))];
    }

    private static PolicyTestResult RunCase(IPolicy policy, string file, PolicyTestCaseDocument testCase, int index)
    {
        var name = testCase.Name ?? $"cases[{index}]";
        if (testCase.Expect is not ("allow" or "deny"))
        {
            return new PolicyTestResult(file, name, false, null, "'expect' must be allow or deny");
        }

        PolicyInput input;
        try
        {
            input = ToInput(testCase);
        }
        catch (FormatException ex)
        {
            return new PolicyTestResult(file, name, false, null, ex.Message);
        }

        var decision = policy.Evaluate(input);
        var problems = new List<string>();
        if (decision.Allowed != (testCase.Expect == "allow"))
        {
            problems.Add($"expected {testCase.Expect}, got {(decision.Allowed ? "allow" : "deny")} by rule '{decision.RuleId}'");
        }

        if (testCase.Rule is not null && testCase.Rule != decision.RuleId)
        {
            problems.Add($"expected rule '{testCase.Rule}', got '{decision.RuleId}'");
        }

        if (testCase.MaxTtlSeconds is { } ttl && decision.MaxTtl != TimeSpan.FromSeconds(ttl))
        {
            problems.Add($"expected maxTtlSeconds {ttl}, got {(decision.MaxTtl is { } limit ? ((long)limit.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture) : "none")}");
        }

        return new PolicyTestResult(file, name, problems.Count == 0, decision, problems.Count == 0 ? null : string.Join("; ", problems));
    }

    private static PolicyInput ToInput(PolicyTestCaseDocument c)
    {
        var now = c.Now ?? DefaultNow;
        if (!CelInput.TryParseOperation(c.Operation ?? "exchange", out var operation))
        {
            throw new FormatException($"unknown operation '{c.Operation}' (create_task, exchange, delegate, continue)");
        }

        var callerId = SpiffeId.TryParse(c.Caller?.Id ?? "spiffe://test.local/caller", out var id, out var error) ? id : throw new FormatException($"caller.id: {error}");
        var roles = BrokerRoles.None;
        foreach (var role in c.Caller?.Roles ?? [])
        {
            roles |= role switch
            {
                "orchestrator" => BrokerRoles.Orchestrator,
                "agent" => BrokerRoles.Agent,
                "soc" => BrokerRoles.Soc,
                "resource_server" => BrokerRoles.ResourceServer,
                "operator" => BrokerRoles.Operator,
                _ => throw new FormatException($"unknown role '{role}' (orchestrator, agent, soc, resource_server, operator)"),
            };
        }

        var t = c.Task ?? new TaskDocument();
        var state = TaskState.Running;
        if (t.State is not null && !TaskStateMachine.TryParseWireName(t.State, out state))
        {
            throw new FormatException($"unknown task state '{t.State}'");
        }

        var r = c.Request ?? new RequestDocument();
        var task = new TaskRecord(
            t.Id ?? "tsk_test",
            t.Agent ?? "spiffe://test.local/agent",
            new WorkflowRef(t.Workflow?.Id ?? "wf-test", t.Workflow?.Designer, t.Workflow?.Version),
            [new AuthorizationGrant(r.Tool ?? "tool", r.Destination ?? "https://resource.test", r.Actions ?? ["read"], r.DataClass)],
            t.Approval is null ? null : new TaskApproval(t.Approval.Id ?? "approval", t.Approval.Approver ?? "approver", t.Approval.ApprovedAt ?? now),
            t.Origin is null ? null : new TaskOrigin(t.Origin.PromptId, t.Origin.PromptSha256, t.Origin.RequestedBy),
            t.MaxDelegationDepth ?? 0,
            t.MayAct ?? [],
            t.CreatedBy ?? "spiffe://test.local/orchestrator",
            now,
            now.AddMinutes(15),
            state,
            now,
            null);

        var workloads = new Dictionary<string, RiskLevel>(StringComparer.Ordinal);
        foreach (var (workload, level) in c.Risk?.Workloads ?? [])
        {
            workloads[workload] = ParseRisk(level);
        }

        var request = new PolicyGrantRequest(
            r.Tool ?? "tool",
            r.Destination ?? "https://resource.test",
            r.Actions ?? ["read"],
            r.DataClass,
            TimeSpan.FromSeconds(r.TtlSeconds ?? 300),
            r.Audience,
            r.Actor,
            r.Depth ?? 0);
        return new PolicyInput(operation, new CallerIdentity(callerId, roles, CallerAuthenticationMethod.JwtSvidBearer, now.AddHours(1)),
            task, request, new RiskFacts(workloads, c.Risk?.Workflow is null ? RiskLevel.None : ParseRisk(c.Risk.Workflow)), now);
    }

    private static RiskLevel ParseRisk(string level) =>
        RiskLevels.TryParseWireName(level, out var parsed) ? parsed : throw new FormatException($"unknown risk level '{level}' (none, low, medium, high, critical)");
}
