using CredentialBroker.Abstractions.Audit;
using CredentialBroker.Abstractions.Storage;
using CredentialBroker.Abstractions.Tasks;
using CredentialBroker.Core.Issuance;
using CredentialBroker.Core.Tasks;
using CredentialBroker.EmbeddedStore;
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
    public async Task Policy_decides_every_grant_and_a_denial_issues_nothing()
    {
        _harness.Policy.Decide = input => input.Request.Tool == "shell.exec" ? TestPolicy.Deny("no-shell") : TestPolicy.Allow("ok");
        var draft = CoreHarness.Draft() with { Authorization = [new AuthorizationGrant("sql.query", "postgres://payments", ["read"], null), new AuthorizationGrant("shell.exec", "ssh://build", ["run"], null)] };

        var denied = await _harness.IssueAsync(draft);
        var allowed = await _harness.IssueAsync();

        Assert.Multiple(() =>
        {
            Assert.That(denied.Outcome, Is.EqualTo(TaskIssuanceOutcome.PolicyDenied));
            Assert.That(denied.Decision!.RuleId, Is.EqualTo("no-shell"));
            Assert.That(denied.Token, Is.Null);
            Assert.That(_harness.Policy.Inputs.Count(i => i.Operation == Abstractions.Policy.PolicyOperation.CreateTask), Is.EqualTo(3));
            Assert.That(allowed.Outcome, Is.EqualTo(TaskIssuanceOutcome.Issued));
            Assert.That(allowed.Credential!.Policy, Is.EqualTo(new PolicyReference("ok", "test-1")));
        });
    }

    [Test]
    public async Task A_policy_ttl_limit_below_the_requested_ttl_denies_the_task_and_at_or_above_it_allows()
    {
        _harness.Policy.Decide = _ => TestPolicy.Allow("short", TimeSpan.FromMinutes(5));

        var tooLong = await _harness.IssueAsync(CoreHarness.Draft(TimeSpan.FromMinutes(6)));
        var atLimit = await _harness.IssueAsync(CoreHarness.Draft(TimeSpan.FromMinutes(5)));

        Assert.Multiple(() =>
        {
            Assert.That(tooLong.Outcome, Is.EqualTo(TaskIssuanceOutcome.PolicyDenied));
            Assert.That(tooLong.Decision!.Reason, Does.Contain("300 s"));
            Assert.That(atLimit.Outcome, Is.EqualTo(TaskIssuanceOutcome.Issued));
        });
    }

    [Test]
    public async Task A_registered_data_class_is_what_the_task_records_and_signs()
    {
        _harness.Policy.DataClasses["postgres://payments"] = "restricted";
        var undeclared = CoreHarness.Draft() with { Authorization = [new AuthorizationGrant("sql.query", "postgres://payments", ["read"], null)] };

        var issued = await _harness.IssueAsync(undeclared);

        Assert.Multiple(() =>
        {
            Assert.That(issued.Task!.Authorization[0].DataClass, Is.EqualTo("restricted"));
            Assert.That((string?)JwtParts.Payload(issued.Token!)["authorization_details"]![0]!["datatypes"]![0], Is.EqualTo("restricted"));
            Assert.That(_harness.Policy.Inputs[0].Request.DeclaredDataClass, Is.EqualTo("restricted"));
        });
    }

    [Test]
    public async Task A_replay_returns_the_recorded_task_without_a_new_policy_decision()
    {
        var first = await _harness.IssueAsync(idempotencyKey: "order-9");
        _harness.Policy.Decide = _ => TestPolicy.Deny("changed-my-mind");

        var replay = await _harness.IssueAsync(idempotencyKey: "order-9");

        Assert.Multiple(() =>
        {
            Assert.That(replay.Outcome, Is.EqualTo(TaskIssuanceOutcome.Replayed));
            Assert.That(replay.Task!.TaskId, Is.EqualTo(first.Task!.TaskId));
        });
    }

    [Test]
    public async Task A_retry_after_a_denial_is_decided_afresh_and_gets_a_live_token()
    {
        _harness.Policy.Decide = _ => TestPolicy.Deny("not-yet");
        var denied = await _harness.IssueAsync(idempotencyKey: "order-7");
        _harness.Time.Advance(TimeSpan.FromMinutes(20));
        _harness.Policy.Decide = _ => TestPolicy.Allow("approved-now");

        var retry = await _harness.IssueAsync(idempotencyKey: "order-7");

        Assert.Multiple(() =>
        {
            Assert.That(denied.Outcome, Is.EqualTo(TaskIssuanceOutcome.PolicyDenied));
            Assert.That(retry.Outcome, Is.EqualTo(TaskIssuanceOutcome.Issued));
            Assert.That(retry.Credential!.IssuedAt, Is.EqualTo(_harness.Time.GetUtcNow()));
            Assert.That((long)JwtParts.Payload(retry.Token!)["exp"]!, Is.EqualTo(_harness.Time.GetUtcNow().AddMinutes(10).ToUnixTimeSeconds()));
        });
    }

    [Test]
    public async Task A_retry_after_a_claim_whose_task_was_never_recorded_mints_fresh_times()
    {
        // A first attempt claimed the key and died before recording its task (a crash, or a store failure after the claim).
        var stale = new IdempotencyRecord(IdempotencyKeys.Scope(CoreHarness.Orchestrator.Id.Value, "order-8"), IdempotencyKeys.HashRequest(CoreHarness.Draft()),
            "tsk_crashed", "jti-crashed", _harness.Time.GetUtcNow());
        await _harness.Store.ClaimIdempotencyKeyAsync(stale, TimeSpan.FromHours(24), CancellationToken.None);
        _harness.Time.Advance(TimeSpan.FromMinutes(20));

        var retry = await _harness.IssueAsync(idempotencyKey: "order-8");
        var again = await _harness.IssueAsync(idempotencyKey: "order-8");

        Assert.Multiple(() =>
        {
            Assert.That(retry.Outcome, Is.EqualTo(TaskIssuanceOutcome.Issued));
            Assert.That(retry.Task!.TaskId, Is.EqualTo("tsk_crashed"), "the key still names one task");
            Assert.That(retry.Credential!.ExpiresAt, Is.GreaterThan(_harness.Time.GetUtcNow()));
            Assert.That(again.Outcome, Is.EqualTo(TaskIssuanceOutcome.Replayed));
            Assert.That(again.Credential!.Jti, Is.EqualTo(retry.Credential.Jti));
        });
    }

    [Test]
    public async Task A_retry_after_the_task_ended_is_refused_rather_than_given_a_dead_token()
    {
        var first = await _harness.IssueAsync(idempotencyKey: "order-6");
        var live = await _harness.IssueAsync(idempotencyKey: "order-6");
        _harness.Time.Advance(TimeSpan.FromMinutes(11));

        var late = await _harness.IssueAsync(idempotencyKey: "order-6");

        Assert.Multiple(() =>
        {
            Assert.That(live.Outcome, Is.EqualTo(TaskIssuanceOutcome.Replayed), "while the token lives, a retry gets it");
            Assert.That(late.Outcome, Is.EqualTo(TaskIssuanceOutcome.IdempotentTaskEnded));
            Assert.That(late.Task!.TaskId, Is.EqualTo(first.Task!.TaskId));
            Assert.That(late.Token, Is.Null);
        });
    }

    [Test]
    public async Task IssueAsync_enforces_the_task_rules_itself_and_names_every_broken_one()
    {
        var fine = await _harness.IssueAsync(CoreHarness.Draft() with { Ttl = TimeSpan.FromMinutes(10), MaxDelegationDepth = 2 });
        var broken = await _harness.IssueAsync(CoreHarness.Draft() with
        {
            Agent = "spiffe://untrusted.example/agent", Ttl = TimeSpan.FromHours(2), MaxDelegationDepth = 99,
        });

        Assert.Multiple(() =>
        {
            Assert.That(fine.Outcome, Is.EqualTo(TaskIssuanceOutcome.Issued));
            Assert.That(broken.Outcome, Is.EqualTo(TaskIssuanceOutcome.Invalid));
            Assert.That(broken.Errors!.ToDictionary().Keys, Is.EquivalentTo(new[] { "agent", "ttlSeconds", "maxDelegationDepth" }));
            Assert.That(broken.Token, Is.Null);
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
        public ValueTask<TaskCreation> CreateTaskAsync(TaskRecord task, CredentialRecord taskToken, AuditEvent audit, CancellationToken cancellationToken) => throw new StoreUnavailableException();

        public ValueTask<IdempotencyRecord> ClaimIdempotencyKeyAsync(IdempotencyRecord candidate, TimeSpan lifetime, CancellationToken cancellationToken) => throw new StoreUnavailableException();

        public ValueTask<IdempotencyRecord?> FindIdempotencyKeyAsync(string key, CancellationToken cancellationToken) => throw new StoreUnavailableException();

        public ValueTask<TaskView?> GetTaskAsync(string taskId, CancellationToken cancellationToken) => throw new StoreUnavailableException();

        public ValueTask<CredentialLookup?> GetCredentialAsync(string taskId, string jti, CancellationToken cancellationToken) => throw new StoreUnavailableException();

        public ValueTask<StateChange> ChangeStateAsync(StateChangeRequest request, CancellationToken cancellationToken) => throw new StoreUnavailableException();

        public ValueTask<CredentialAdditionResult> AddCredentialAsync(CredentialRecord credential, IReadOnlyCollection<TaskState> openStates, DateTimeOffset now, int maxPerTask, AuditEvent audit, CancellationToken cancellationToken) => throw new StoreUnavailableException();

        public ValueTask<int> RevokeSubtreeAsync(string taskId, string jti, DateTimeOffset at, string reason, AuditEvent audit, CancellationToken cancellationToken) => throw new StoreUnavailableException();

        public ValueTask<StateChange> ContinueTaskAsync(string taskId, CredentialRecord taskToken, IReadOnlyCollection<TaskState> fromStates, long expectedContinuations, DateTimeOffset at, AuditEvent audit, CancellationToken cancellationToken) => throw new StoreUnavailableException();

        public ValueTask TrackIssuingAsync(CredentialRecord secret, DateTimeOffset deadline, CancellationToken cancellationToken) => throw new StoreUnavailableException();

        public ValueTask<bool> ConfirmIssuedAsync(CredentialRecord secret, string? leaseId, DateTimeOffset now, CancellationToken cancellationToken) => throw new StoreUnavailableException();

        public ValueTask PingAsync(CancellationToken cancellationToken) => throw new StoreUnavailableException();
    }
}
