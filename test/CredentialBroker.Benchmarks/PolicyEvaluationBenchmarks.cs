using BenchmarkDotNet.Attributes;
using CredentialBroker.Abstractions.Identity;
using CredentialBroker.Abstractions.Policy;
using CredentialBroker.Abstractions.Tasks;
using CredentialBroker.Core.Identity;
using CredentialBroker.Core.Tasks;
using CredentialBroker.Core.Tokens;
using CredentialBroker.Policy;
using CredentialBroker.Testing;
using Microsoft.IdentityModel.JsonWebTokens;

namespace CredentialBroker.Benchmarks;

/// <summary>
/// The cost of one policy decision, against the floor of the cheapest step no issuance can skip: one raw
/// ES256 signature over a task token's claims.
/// </summary>
[MemoryDiagnoser]
public class PolicyEvaluationBenchmarks
{
    private static readonly JsonWebTokenHandler Handler = new();
    private readonly SigningKey _key = SigningKey.Generate("bench");
    private CompiledPolicy _builtIn = null!;
    private CompiledPolicy _sample = null!;
    private PolicyInput _input = null!;
    private string _payload = null!;
    private string[] _destinations = null!;
    private int _next;

    [GlobalSetup]
    public void Setup()
    {
        _builtIn = PolicyLoader.LoadBuiltIn();
        _sample = PolicyLoader.Load(Repository.Path("samples", "policies"));
        var now = new DateTimeOffset(2026, 11, 28, 9, 0, 0, TimeSpan.Zero);
        var task = new TaskRecord("tsk_bench", "spiffe://corp.example/agents/invoice-bot", new WorkflowRef("wf-invoices", "payments", "3"),
            [new AuthorizationGrant("sql.query", "postgres://payments", ["read"], "confidential")],
            new TaskApproval("CHG-1042", "alice@corp.example", now), new TaskOrigin("p-77", new string('a', 64), "user:bob"),
            2, [], "spiffe://corp.example/orchestrators/billing", now, now.AddMinutes(10), TaskState.Running, now, null);
        _input = new PolicyInput(PolicyOperation.Exchange,
            new CallerIdentity(SpiffeId.Parse("spiffe://corp.example/agents/invoice-bot"), BrokerRoles.Agent, CallerAuthenticationMethod.JwtSvidBearer, now.AddHours(1)),
            task, new PolicyGrantRequest("sql.query", "postgres://payments", ["read"], "confidential", TimeSpan.FromMinutes(5), "postgres://payments", null, 0),
            new RiskFacts(new Dictionary<string, RiskLevel>(), RiskLevel.None), now);
        _destinations = [.. Enumerable.Range(0, 50_000).Select(i => $"postgres://payments-{i}")];
        _payload = $$$"""{"iss":"https://broker.example","sub":"{{{task.Agent}}}","aud":"https://broker.example","iat":1795856400,"nbf":1795856400,"exp":1795857000,"jti":"0123456789abcdefghijkl","task_id":"tsk_bench","workflow_id":"wf-invoices","authorization_details":[{"type":"tool","identifier":"sql.query","locations":["postgres://payments"],"actions":["read"],"datatypes":["confidential"]}],"cnf":{"spiffe_id":"{{{task.Agent}}}"}}""";
    }

    [Benchmark(Baseline = true, Description = "floor: one raw ES256 signature")]
    public string SignEs256() => Handler.CreateToken(_payload, _key.Credentials);

    [Benchmark(Description = "decision: built-in policy (2 rules)")]
    public bool BuiltInPolicy() => _builtIn.Evaluate(_input).Allowed;

    [Benchmark(Description = "decision: sample policy (6 rules), an input seen before (results remembered)")]
    public bool SamplePolicy() => _sample.Evaluate(_input).Allowed;

    // 50,000 destinations, more than a rule remembers: every decision interprets the conditions that read the destination.
    [Benchmark(Description = "decision: sample policy (6 rules), a destination not seen before (interpreted)")]
    public bool SamplePolicyNewDestination()
    {
        var destination = _destinations[_next++ % _destinations.Length];
        return _sample.Evaluate(_input with { Request = _input.Request with { Destination = destination, Audience = destination } }).Allowed;
    }
}
