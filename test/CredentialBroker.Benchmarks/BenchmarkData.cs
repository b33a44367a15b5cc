using CredentialBroker.Abstractions;
using CredentialBroker.Abstractions.Storage;
using CredentialBroker.Abstractions.Tasks;
using CredentialBroker.Core;
using CredentialBroker.Core.Tasks;
using Microsoft.Extensions.Options;

namespace CredentialBroker.Benchmarks;

/// <summary>The task and credential every benchmark works on: a realistic one-grant task.</summary>
internal static class BenchmarkData
{
    public const string Issuer = "https://broker.example";
    public const string Agent = "spiffe://corp.example/agents/invoice-bot";

    public static IOptions<CredentialBrokerOptions> Options() =>
        Microsoft.Extensions.Options.Options.Create(new CredentialBrokerOptions { Issuer = Issuer });

    public static TaskRecord Task(string taskId, DateTimeOffset now) => new(
        taskId, Agent, new WorkflowRef("wf-invoices", "payments", "3"),
        [new AuthorizationGrant("sql.query", "postgres://payments", ["read"], "confidential")],
        new TaskApproval("CHG-1042", "alice@corp.example", now), new TaskOrigin("p-77", new string('a', 64), "user:bob"),
        2, [], "spiffe://corp.example/orchestrators/billing", now, now.AddMinutes(10), TaskState.Running, now, null);

    public static CredentialRecord TaskToken(string taskId, string jti, DateTimeOffset now) =>
        new(jti, taskId, CredentialKind.Task, null, Agent, now, now.AddMinutes(10));
}
