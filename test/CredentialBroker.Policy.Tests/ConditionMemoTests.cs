using Cel;
using CredentialBroker.Abstractions.Policy;
using CredentialBroker.Abstractions.Tasks;

namespace CredentialBroker.Policy.Tests;

/// <summary>
/// A rule's result is remembered for the values its condition reads (ConditionMemo). A remembered result must never stand in
/// for an input that would decide differently: each condition below is checked against the interpreter on inputs that vary in
/// what it reads and in what it does not.
/// </summary>
public sealed class ConditionMemoTests
{
    private static readonly string[] Destinations = ["postgres://payments", "https://crm.example", "postgres://prod-ledger"];
    private static readonly string[][] ActionSets = [["read"], ["read", "write"], ["write"]];

    private static IEnumerable<PolicyInput> Grid()
    {
        var id = 0;
        foreach (var destination in Destinations)
        {
            foreach (var actions in ActionSets)
            {
                foreach (var risk in new[] { RiskLevel.None, RiskLevel.High })
                {
                    foreach (var approved in new[] { false, true })
                    {
                        foreach (var later in new[] { 0, 3600 })
                        {
                            var input = Inputs.Exchange(destination, actions, agentRisk: risk,
                                approval: approved ? new TaskApproval("apr-1", "alice", Inputs.Now) : null, depth: id % 3);
                            yield return input with
                            {
                                Task = input.Task with { TaskId = $"tsk_{id++}", Agent = id % 2 == 0 ? "spiffe://corp.example/agents/bot" : "spiffe://corp.example/agents/other" },
                                Now = Inputs.Now.AddSeconds(later),
                            };
                        }
                    }
                }
            }
        }
    }

    [TestCase("request.destination.startsWith('postgres://prod-') && task.approval == null")]
    [TestCase("'write' in request.actions")]
    [TestCase("request.actions.exists(a, a == 'write') || facts.risk.agent in ['high', 'critical']")]
    [TestCase("task['agent'] == 'spiffe://corp.example/agents/bot'", TestName = "index syntax reads the whole variable")]
    [TestCase("request . destination == 'https://crm.example' && has(task.approval.id)", TestName = "spaces around a member's dot")]
    [TestCase("now > timestamp('2026-11-28T09:30:00Z')", TestName = "the decision time")]
    [TestCase("task.id.endsWith('7') || request.depth > 1")]
    [TestCase("true")]
    public void A_remembered_result_always_equals_the_interpreted_one(string condition)
    {
        var interpreted = new CelEnvironment(null, string.Empty).Compile(condition);
        bool Interpret(IDictionary<string, object?> variables) => (bool)interpreted(variables)!;
        var memo = ConditionMemo.For(condition);

        // Twice over the grid: the second pass answers from memory wherever the first one remembered.
        var mismatches = new List<string>();
        for (var pass = 0; pass < 2; pass++)
        {
            foreach (var input in Grid())
            {
                var variables = CelInput.From(input, registeredDataClass: null);
                if (memo.Evaluate(variables, Interpret) != Interpret(variables))
                {
                    mismatches.Add($"{input.Task.TaskId} {input.Request.Destination} [{string.Join(',', input.Request.Actions)}] {input.Now:O}");
                }
            }
        }

        Assert.That(mismatches, Is.Empty);
    }

    [Test]
    public void A_condition_is_interpreted_once_per_distinct_value_it_reads_not_per_request()
    {
        var memo = ConditionMemo.For("request.destination.startsWith('postgres://')");
        var interpretations = 0;
        bool Interpret(IDictionary<string, object?> variables)
        {
            interpretations++;
            return ((string)((IDictionary<string, object?>)variables["request"]!)["destination"]!).StartsWith("postgres://", StringComparison.Ordinal);
        }

        var results = Grid().Select(input => memo.Evaluate(CelInput.From(input, null), Interpret)).ToList();

        Assert.Multiple(() =>
        {
            Assert.That(results, Has.Count.EqualTo(72));
            Assert.That(results.Count(r => r), Is.EqualTo(48));
            Assert.That(interpretations, Is.EqualTo(Destinations.Length), "one per destination, whatever else differs");
            Assert.That(memo.Count, Is.EqualTo(Destinations.Length));
        });
    }

    [Test]
    public void A_condition_reading_the_task_id_is_interpreted_for_every_task()
    {
        var memo = ConditionMemo.For("task.id != ''");
        var interpretations = 0;
        bool Interpret(IDictionary<string, object?> variables)
        {
            interpretations++;
            return true;
        }

        foreach (var input in Grid())
        {
            memo.Evaluate(CelInput.From(input, null), Interpret);
        }

        Assert.That(interpretations, Is.EqualTo(72));
    }
}
