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
    [Test]
    public void Past_ten_thousand_results_a_rule_forgets_them_all_and_keeps_answering_as_interpreted()
    {
        var memo = ConditionMemo.For("request.destination.endsWith('7')");
        var interpretations = 0;
        bool Interpret(IDictionary<string, object?> variables)
        {
            interpretations++;
            return ((string)((IDictionary<string, object?>)variables["request"]!)["destination"]!).EndsWith('7');
        }

        bool Evaluate(int destination) => memo.Evaluate(CelInput.From(Inputs.Exchange($"https://api.example/{destination}", ["read"]), null), Interpret);

        var wrong = Enumerable.Range(0, ConditionMemo.Capacity).Count(d => Evaluate(d) != (d % 10 == 7));
        var full = memo.Count;
        var rememberedAtCapacity = interpretations;
        Evaluate(3);                               // still remembered: not interpreted again
        var beforeOverflow = interpretations;
        var overflowAnswer = Evaluate(ConditionMemo.Capacity + 7); // one more value: everything is forgotten first
        var afterOverflow = memo.Count;
        Evaluate(3);                               // forgotten: interpreted again

        Assert.Multiple(() =>
        {
            Assert.That(ConditionMemo.Capacity, Is.EqualTo(10_000), "docs/policy.md promises up to 10,000 results per rule");
            Assert.That(wrong, Is.Zero);
            Assert.That(full, Is.EqualTo(10_000));
            Assert.That(rememberedAtCapacity, Is.EqualTo(10_000));
            Assert.That(beforeOverflow, Is.EqualTo(10_000), "a remembered value is not interpreted again");
            Assert.That(overflowAnswer, Is.True);
            Assert.That(afterOverflow, Is.EqualTo(1), "the 10,001st result replaces all the others");
            Assert.That(interpretations, Is.EqualTo(10_002), "a forgotten value is interpreted again");
            Assert.That(memo.Count, Is.EqualTo(2));
        });
    }
}
