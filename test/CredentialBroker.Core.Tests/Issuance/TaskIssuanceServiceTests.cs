using CredentialBroker.Core.Issuance;
using CredentialBroker.Core.Storage;
using CredentialBroker.Core.Tasks;
using CredentialBroker.Testing;

namespace CredentialBroker.Core.Tests.Issuance;

public sealed class TaskIssuanceServiceTests
{
    private readonly CoreHarness _harness = new();

    [Test]
    public async Task IssueAsync_records_the_task_and_its_token_as_the_token_says()
    {
        var issued = await _harness.IssueAsync();
        var stored = await _harness.Store.GetTaskAsync(issued.Task!.TaskId, CancellationToken.None);
        var claims = JwtParts.Payload(issued.Token!);

        Assert.Multiple(() =>
        {
            Assert.That(issued.Outcome, Is.EqualTo(TaskIssuanceOutcome.Issued));
            Assert.That(stored, Is.Not.Null);
            Assert.That(stored!.Task.State, Is.EqualTo(TaskState.Created));
            Assert.That(stored.Credentials, Has.Count.EqualTo(1));
            Assert.That(stored.Credentials[0].Jti, Is.EqualTo((string)claims["jti"]!));
            Assert.That(stored.Credentials[0].Kind, Is.EqualTo(CredentialKind.Task));
            Assert.That(stored.Credentials[0].ExpiresAt.ToUnixTimeSeconds(), Is.EqualTo((long)claims["exp"]!));
            Assert.That(stored.Task.ExpiresAt, Is.EqualTo(CoreHarness.Start.AddMinutes(10)));
            Assert.That(stored.Task.CreatedBy, Is.EqualTo(CoreHarness.Orchestrator.Id.Value));
        });
    }

    [Test]
    public async Task IssueAsync_with_the_same_idempotency_key_and_request_returns_the_same_task()
    {
        var first = await _harness.IssueAsync(idempotencyKey: "order-1");
        _harness.Time.Advance(TimeSpan.FromSeconds(5));
        var retry = await _harness.IssueAsync(idempotencyKey: "order-1");

        Assert.Multiple(() =>
        {
            Assert.That(retry.Outcome, Is.EqualTo(TaskIssuanceOutcome.Replayed));
            Assert.That(retry.Task!.TaskId, Is.EqualTo(first.Task!.TaskId));
            Assert.That(retry.Credential!.Jti, Is.EqualTo(first.Credential!.Jti));
            Assert.That(JwtParts.Payload(retry.Token!).ToJsonString(), Is.EqualTo(JwtParts.Payload(first.Token!).ToJsonString()));
        });
    }

    [Test]
    public async Task IssueAsync_refuses_an_idempotency_key_reused_for_a_different_request()
    {
        var first = await _harness.IssueAsync(idempotencyKey: "order-1");
        var reuse = await _harness.IssueAsync(CoreHarness.Draft(workflow: "wf-other"), idempotencyKey: "order-1");
        var fresh = await _harness.IssueAsync(CoreHarness.Draft(workflow: "wf-other"), idempotencyKey: "order-2");

        Assert.Multiple(() =>
        {
            Assert.That(reuse.Outcome, Is.EqualTo(TaskIssuanceOutcome.IdempotencyKeyReused));
            Assert.That(reuse.Token, Is.Null);
            Assert.That(fresh.Outcome, Is.EqualTo(TaskIssuanceOutcome.Issued));
            Assert.That(fresh.Task!.TaskId, Is.Not.EqualTo(first.Task!.TaskId));
        });
    }

    [Test]
    public async Task Idempotency_keys_are_scoped_to_the_caller()
    {
        var mine = await _harness.IssueAsync(idempotencyKey: "order-1");
        var theirs = await _harness.IssueAsync(idempotencyKey: "order-1", caller: CoreHarness.OtherOrchestrator);

        Assert.Multiple(() =>
        {
            Assert.That(theirs.Outcome, Is.EqualTo(TaskIssuanceOutcome.Issued));
            Assert.That(theirs.Task!.TaskId, Is.Not.EqualTo(mine.Task!.TaskId));
        });
    }

    [Test]
    public async Task Idempotency_keys_are_forgotten_after_their_lifetime()
    {
        var first = await _harness.IssueAsync(idempotencyKey: "order-1");
        _harness.Time.Advance(TimeSpan.FromHours(24) + TimeSpan.FromSeconds(1));
        var later = await _harness.IssueAsync(idempotencyKey: "order-1");

        Assert.Multiple(() =>
        {
            Assert.That(later.Outcome, Is.EqualTo(TaskIssuanceOutcome.Issued));
            Assert.That(later.Task!.TaskId, Is.Not.EqualTo(first.Task!.TaskId));
        });
    }

    [Test]
    public async Task IssueAsync_signs_nothing_when_the_store_cannot_record()
    {
        var harness = new CoreHarness(new UnavailableStore());
        await Assert.ThrowsAsync<StoreUnavailableException>(async () => await harness.IssueAsync());
    }

    /// <summary>Fault injection: a store that is down. Real-Redis outages are covered in the server tests.</summary>
    private sealed class UnavailableStore : ICredentialStore
    {
        public ValueTask<TaskCreation> CreateTaskAsync(TaskRecord task, CredentialRecord taskToken, CancellationToken cancellationToken) => throw new StoreUnavailableException();

        public ValueTask<IdempotencyRecord> ClaimIdempotencyKeyAsync(IdempotencyRecord candidate, TimeSpan lifetime, CancellationToken cancellationToken) => throw new StoreUnavailableException();

        public ValueTask<TaskView?> GetTaskAsync(string taskId, CancellationToken cancellationToken) => throw new StoreUnavailableException();

        public ValueTask<CredentialLookup?> GetCredentialAsync(string taskId, string jti, CancellationToken cancellationToken) => throw new StoreUnavailableException();

        public ValueTask<StateChange> ChangeStateAsync(StateChangeRequest request, CancellationToken cancellationToken) => throw new StoreUnavailableException();

        public ValueTask<CredentialAddition> AddCredentialAsync(CredentialRecord credential, IReadOnlyCollection<TaskState> openStates, DateTimeOffset now, CancellationToken cancellationToken) => throw new StoreUnavailableException();

        public ValueTask<int> RevokeSubtreeAsync(string taskId, string jti, DateTimeOffset at, string reason, CancellationToken cancellationToken) => throw new StoreUnavailableException();

        public ValueTask PingAsync(CancellationToken cancellationToken) => throw new StoreUnavailableException();
    }
}
