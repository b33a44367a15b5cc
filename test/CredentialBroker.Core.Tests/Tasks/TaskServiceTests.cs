using CredentialBroker.Abstractions.Identity;
using CredentialBroker.Abstractions.Storage;
using CredentialBroker.Abstractions.Tasks;
using CredentialBroker.Core.Identity;
using CredentialBroker.Core.Tasks;
using CredentialBroker.EmbeddedStore;

namespace CredentialBroker.Core.Tests.Tasks;

public sealed class TaskServiceTests
{
    private readonly CoreHarness _harness = new();

    private async Task<string> NewTaskAsync() => (await _harness.IssueAsync()).Task!.TaskId;

    private Task<StateTransition> MoveAsync(string taskId, TaskState to, CallerIdentity? caller = null) =>
        _harness.Tasks.ChangeStateAsync(caller ?? CoreHarness.Orchestrator, taskId, to, "because", CancellationToken.None).AsTask();

    [TestCase(TaskState.Completed, RevocationReasons.TaskCompleted)]
    [TestCase(TaskState.Failed, RevocationReasons.TaskState)]
    [TestCase(TaskState.Cancelled, RevocationReasons.TaskState)]
    public async Task Terminal_states_revoke_every_credential_at_once(TaskState terminal, string reason)
    {
        var taskId = await NewTaskAsync();
        await MoveAsync(taskId, TaskState.Running);
        _harness.Time.Advance(TimeSpan.FromSeconds(3));

        var result = await MoveAsync(taskId, terminal);
        var credential = result.Task!.Credentials[0];

        Assert.Multiple(() =>
        {
            Assert.That(result.Outcome, Is.EqualTo(StateChangeOutcome.Changed));
            Assert.That(result.Revoked, Is.EqualTo(1));
            Assert.That(result.Task.Task.State, Is.EqualTo(terminal));
            Assert.That(result.Task.Task.StateReason, Is.EqualTo("because"));
            Assert.That(credential.StatusAt(_harness.Time.GetUtcNow()), Is.EqualTo(CredentialStatus.Revoked));
            Assert.That(credential.RevokedAt, Is.EqualTo(CoreHarness.Start.AddSeconds(3)));
            Assert.That(credential.RevocationReason, Is.EqualTo(reason));
        });
    }

    [Test]
    public async Task Non_terminal_states_revoke_nothing()
    {
        var taskId = await NewTaskAsync();
        await MoveAsync(taskId, TaskState.Running);
        var paused = await MoveAsync(taskId, TaskState.Paused);

        Assert.Multiple(() =>
        {
            Assert.That(paused.Outcome, Is.EqualTo(StateChangeOutcome.Changed));
            Assert.That(paused.Revoked, Is.Zero);
            Assert.That(paused.Task!.Credentials[0].RevokedAt, Is.Null);
        });
    }

    [Test]
    public async Task Illegal_transitions_change_nothing_and_name_the_current_state()
    {
        var taskId = await NewTaskAsync();
        await MoveAsync(taskId, TaskState.Completed);

        var illegal = await MoveAsync(taskId, TaskState.Running);
        var fromCreated = await MoveAsync(await NewTaskAsync(), TaskState.Paused);
        var view = await _harness.Store.GetTaskAsync(taskId, CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(illegal.Outcome, Is.EqualTo(StateChangeOutcome.Illegal));
            Assert.That(illegal.PreviousState, Is.EqualTo(TaskState.Completed));
            Assert.That(view!.Task.State, Is.EqualTo(TaskState.Completed));
            Assert.That(fromCreated.Outcome, Is.EqualTo(StateChangeOutcome.Illegal));
            Assert.That(fromCreated.PreviousState, Is.EqualTo(TaskState.Created));
        });
    }

    [Test]
    public async Task Repeating_the_current_state_is_a_harmless_no_op()
    {
        var taskId = await NewTaskAsync();
        await MoveAsync(taskId, TaskState.Completed);
        var again = await MoveAsync(taskId, TaskState.Completed);

        Assert.Multiple(() =>
        {
            Assert.That(again.Outcome, Is.EqualTo(StateChangeOutcome.Unchanged));
            Assert.That(again.Revoked, Is.Zero);
        });
    }

    [Test]
    public async Task Only_the_creating_orchestrator_and_the_soc_see_or_change_a_task()
    {
        var taskId = await NewTaskAsync();

        var strangerView = await _harness.Tasks.GetAsync(CoreHarness.OtherOrchestrator, taskId, CancellationToken.None);
        var strangerMove = await MoveAsync(taskId, TaskState.Cancelled, CoreHarness.OtherOrchestrator);
        var ownerView = await _harness.Tasks.GetAsync(CoreHarness.Orchestrator, taskId, CancellationToken.None);
        var socMove = await MoveAsync(taskId, TaskState.Cancelled, CoreHarness.Soc);

        Assert.Multiple(() =>
        {
            Assert.That(strangerView, Is.Null);
            Assert.That(strangerMove.Outcome, Is.EqualTo(StateChangeOutcome.NotFound));
            Assert.That(ownerView, Is.Not.Null);
            Assert.That(socMove.Outcome, Is.EqualTo(StateChangeOutcome.Changed));
        });
    }

    [Test]
    public async Task Unknown_tasks_are_not_found() =>
        Assert.That((await MoveAsync("tsk_unknown", TaskState.Running)).Outcome, Is.EqualTo(StateChangeOutcome.NotFound));
}
