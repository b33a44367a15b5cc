using CredentialBroker.Abstractions.Audit;
using CredentialBroker.Abstractions.Identity;
using CredentialBroker.Abstractions.Storage;
using CredentialBroker.Abstractions.Tasks;
using CredentialBroker.Core.Tasks;
using CredentialBroker.EmbeddedStore;
using Microsoft.Extensions.Logging.Abstractions;

namespace CredentialBroker.Core.Tests.Tasks;

/// <summary>A continuation that fails part-way (the store goes away, or the broker dies between its writes) never leaves two live task tokens.</summary>
public sealed class ContinuationServiceTests
{
    private static readonly CallerIdentity Operator = CoreHarness.Caller("spiffe://a.example/operator", BrokerRoles.Operator);

    private static ContinuationService Continuations(CoreHarness harness) =>
        new(harness.Store, harness.Policy, harness.Risk, harness.Rules, harness.Tokens, harness.Signal, TestOptions.Create(), harness.Time, NullLogger<ContinuationService>.Instance);

    private static async Task<IReadOnlyList<string>> ActiveTaskTokensAsync(CoreHarness harness, string taskId) =>
        [.. (await harness.Store.GetTaskAsync(taskId, CancellationToken.None))!.Credentials
            .Where(c => c.Kind == CredentialKind.Task && c.StatusAt(harness.Time.GetUtcNow()) == CredentialStatus.Active).Select(c => c.Jti)];

    [TestCase(nameof(ICredentialStore.RevokeSubtreeAsync), TestName = "Failing_while_revoking_the_old_token")]
    [TestCase(nameof(ICredentialStore.ContinueTaskAsync), TestName = "Failing_while_recording_the_fresh_token")]
    public async Task A_continuation_that_fails_part_way_leaves_at_most_one_live_task_token_and_its_retry_leaves_exactly_the_fresh_one(string failing)
    {
        var store = new FailingStore(new InMemoryCredentialStore(new Microsoft.Extensions.Time.Testing.FakeTimeProvider(CoreHarness.Start)));
        var harness = new CoreHarness(store);
        var issued = await harness.IssueAsync();
        var taskId = issued.Task!.TaskId;
        var continuations = Continuations(harness);

        store.Failing = failing;
        await Assert.ThrowsAsync<StoreUnavailableException>(async () => await continuations.ContinueAsync(Operator, taskId, TimeSpan.FromMinutes(5), "the batch is late", CancellationToken.None));
        var afterFailure = await ActiveTaskTokensAsync(harness, taskId);
        store.Failing = null;
        var retried = await continuations.ContinueAsync(Operator, taskId, TimeSpan.FromMinutes(5), "the batch is late", CancellationToken.None);
        var afterRetry = await ActiveTaskTokensAsync(harness, taskId);

        Assert.Multiple(() =>
        {
            Assert.That(afterFailure, Has.Count.LessThanOrEqualTo(1), "never the old token and a fresh one live together");
            Assert.That(afterFailure.Count == 0 || afterFailure[0] == issued.Credential!.Jti, Is.True, "a fresh token is never live beside, or without, its caller's answer");
            Assert.That(retried.Outcome, Is.EqualTo(ContinuationOutcome.Continued));
            Assert.That(afterRetry, Is.EqualTo(new[] { retried.TaskToken!.Jti }), "after the retry, the fresh token alone is live");
        });
    }

    /// <summary>The embedded store, whose named write (<see cref="Failing"/>) fails as if the store went away or the broker died before it.</summary>
    private sealed class FailingStore(InMemoryCredentialStore inner) : ICredentialStore
    {
        public string? Failing { get; set; }

        private void FailIf(string operation)
        {
            if (Failing == operation)
            {
                throw new StoreUnavailableException();
            }
        }

        public ValueTask<int> RevokeSubtreeAsync(string taskId, string jti, DateTimeOffset at, string reason, AuditEvent audit, CancellationToken cancellationToken)
        {
            FailIf(nameof(RevokeSubtreeAsync));
            return inner.RevokeSubtreeAsync(taskId, jti, at, reason, audit, cancellationToken);
        }

        public ValueTask<StateChange> ContinueTaskAsync(string taskId, CredentialRecord taskToken, IReadOnlyCollection<TaskState> fromStates, long expectedContinuations, DateTimeOffset at, AuditEvent audit, CancellationToken cancellationToken)
        {
            FailIf(nameof(ContinueTaskAsync));
            return inner.ContinueTaskAsync(taskId, taskToken, fromStates, expectedContinuations, at, audit, cancellationToken);
        }

        public ValueTask<TaskCreation> CreateTaskAsync(TaskRecord task, CredentialRecord taskToken, AuditEvent audit, CancellationToken cancellationToken) => inner.CreateTaskAsync(task, taskToken, audit, cancellationToken);

        public ValueTask<IdempotencyRecord> ClaimIdempotencyKeyAsync(IdempotencyRecord candidate, TimeSpan lifetime, CancellationToken cancellationToken) => inner.ClaimIdempotencyKeyAsync(candidate, lifetime, cancellationToken);

        public ValueTask<IdempotencyRecord?> FindIdempotencyKeyAsync(string key, CancellationToken cancellationToken) => inner.FindIdempotencyKeyAsync(key, cancellationToken);

        public ValueTask<TaskView?> GetTaskAsync(string taskId, CancellationToken cancellationToken) => inner.GetTaskAsync(taskId, cancellationToken);

        public ValueTask<CredentialLookup?> GetCredentialAsync(string taskId, string jti, CancellationToken cancellationToken) => inner.GetCredentialAsync(taskId, jti, cancellationToken);

        public ValueTask<StateChange> ChangeStateAsync(StateChangeRequest request, CancellationToken cancellationToken) => inner.ChangeStateAsync(request, cancellationToken);

        public ValueTask<CredentialAdditionResult> AddCredentialAsync(CredentialRecord credential, IReadOnlyCollection<TaskState> openStates, DateTimeOffset now, int maxPerTask, AuditEvent audit, CancellationToken cancellationToken) =>
            inner.AddCredentialAsync(credential, openStates, now, maxPerTask, audit, cancellationToken);

        public ValueTask TrackIssuingAsync(CredentialRecord secret, DateTimeOffset deadline, CancellationToken cancellationToken) => inner.TrackIssuingAsync(secret, deadline, cancellationToken);

        public ValueTask<bool> ConfirmIssuedAsync(CredentialRecord secret, string? leaseId, DateTimeOffset now, CancellationToken cancellationToken) => inner.ConfirmIssuedAsync(secret, leaseId, now, cancellationToken);

        public ValueTask PingAsync(CancellationToken cancellationToken) => inner.PingAsync(cancellationToken);
    }
}
