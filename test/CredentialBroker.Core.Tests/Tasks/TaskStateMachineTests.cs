using CredentialBroker.Abstractions.Tasks;
using CredentialBroker.Core.Tasks;

namespace CredentialBroker.Core.Tests.Tasks;

public sealed class TaskStateMachineTests
{
    private static readonly (TaskState From, TaskState To)[] Legal =
    [
        (TaskState.Created, TaskState.Running),
        (TaskState.Running, TaskState.Paused),
        (TaskState.Paused, TaskState.Running),
        (TaskState.Running, TaskState.AwaitingApproval),
        // awaiting_approval -> running is not a state change anyone may make: only an operator's continuation resumes it.
        .. from s in new[] { TaskState.Created, TaskState.Running, TaskState.Paused, TaskState.AwaitingApproval }
           from t in new[] { TaskState.Completed, TaskState.Failed, TaskState.Cancelled }
           select (s, t),
    ];

    [Test]
    public void CanTransition_allows_exactly_the_documented_transitions()
    {
        Assert.Multiple(() =>
        {
            foreach (var from in Enum.GetValues<TaskState>())
            {
                foreach (var to in Enum.GetValues<TaskState>())
                {
                    Assert.That(TaskStateMachine.CanTransition(from, to), Is.EqualTo(Legal.Contains((from, to))), $"{from} -> {to}");
                }
            }
        });
    }

    [Test]
    public void Terminal_states_are_completed_failed_and_cancelled()
    {
        Assert.That(Enum.GetValues<TaskState>().Where(TaskStateMachine.IsTerminal),
            Is.EquivalentTo(new[] { TaskState.Completed, TaskState.Failed, TaskState.Cancelled }));
    }

    [Test]
    public void Wire_names_round_trip_and_are_exact()
    {
        Assert.Multiple(() =>
        {
            foreach (var state in Enum.GetValues<TaskState>())
            {
                Assert.That(TaskStateMachine.TryParseWireName(TaskStateMachine.ToWireName(state), out var parsed), Is.True);
                Assert.That(parsed, Is.EqualTo(state));
            }

            Assert.That(TaskStateMachine.ToWireName(TaskState.AwaitingApproval), Is.EqualTo("awaiting_approval"));
            Assert.That(TaskStateMachine.TryParseWireName("Completed", out _), Is.False);
            Assert.That(TaskStateMachine.TryParseWireName("AwaitingApproval", out _), Is.False);
        });
    }
}
