using CredentialBroker.Abstractions.Identity;
using CredentialBroker.Abstractions.Policy;
using CredentialBroker.Abstractions.Tasks;
using CredentialBroker.Core.Identity;
using CredentialBroker.Core.Tasks;

namespace CredentialBroker.Policy.Tests;

/// <summary>Policy inputs for tests, valid by default; each test changes what it is about.</summary>
internal static class Inputs
{
    public static readonly DateTimeOffset Now = new(2026, 11, 28, 9, 0, 0, TimeSpan.Zero);

    public static PolicyInput Exchange(
        string destination = "postgres://payments",
        string[]? actions = null,
        string caller = "spiffe://corp.example/agents/bot",
        PolicyOperation operation = PolicyOperation.Exchange,
        RiskLevel agentRisk = RiskLevel.None,
        TimeSpan? ttl = null,
        TaskApproval? approval = null,
        int depth = 0,
        string? secretKind = null)
    {
        var task = new TaskRecord("tsk_1", "spiffe://corp.example/agents/bot", new WorkflowRef("wf-invoices", "payments", "3"),
            [new AuthorizationGrant("sql.query", destination, actions ?? ["read"], null)], approval, null, 2, [],
            "spiffe://corp.example/orchestrator", Now, Now.AddMinutes(10), TaskState.Running, Now, null);
        return new PolicyInput(
            operation,
            new CallerIdentity(SpiffeId.Parse(caller), BrokerRoles.Agent, CallerAuthenticationMethod.JwtSvidBearer, Now.AddHours(1)),
            task,
            new PolicyGrantRequest("sql.query", destination, actions ?? ["read"], null, ttl ?? TimeSpan.FromMinutes(5), destination, null, depth, secretKind),
            new RiskFacts(new Dictionary<string, RiskLevel> { ["spiffe://corp.example/agents/bot"] = agentRisk }, RiskLevel.None),
            Now);
    }

    public static CompiledPolicy Compile(string yaml) => PolicyLoader.Compile([("policy.yaml", yaml)], "test");
}
