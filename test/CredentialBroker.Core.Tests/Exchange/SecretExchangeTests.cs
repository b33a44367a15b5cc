using CredentialBroker.Abstractions;
using CredentialBroker.Abstractions.Policy;
using CredentialBroker.Abstractions.Secrets;
using CredentialBroker.Abstractions.Storage;
using CredentialBroker.Abstractions.Tasks;
using CredentialBroker.Core.Exchange;

namespace CredentialBroker.Core.Tests.Exchange;

/// <summary>
/// The exchange of a task token for a downstream secret: the order that makes a crash recoverable (record, mark, call,
/// confirm), what a failure leaves behind, and the rules it shares with access tokens. The real providers are tried
/// against real PostgreSQL and Redis in CredentialBroker.Downstream.Tests and CredentialBroker.Server.Tests.
/// </summary>
public sealed class SecretExchangeTests
{
    private readonly CoreHarness _harness = new();

    private async Task<(string TaskId, string Token, string Jti)> NewTaskAsync(TimeSpan? ttl = null)
    {
        var issued = await _harness.IssueAsync(CoreHarness.Draft(ttl));
        return (issued.Task!.TaskId, issued.Token!, issued.Credential!.Jti);
    }

    private async Task<IReadOnlyList<(string TaskId, string Jti)>> UnconfirmedAsync(TimeSpan after) =>
        await ((IRevokerStore)_harness.Store).ClaimUnconfirmedAsync(_harness.Time.GetUtcNow() + after, 100, TimeSpan.Zero, CancellationToken.None);

    [Test]
    public async Task The_secret_is_recorded_under_its_parent_before_the_backend_is_called_and_its_password_only_returned()
    {
        var (taskId, token, parent) = await NewTaskAsync();
        CredentialRecord? seenByBackend = null;
        _harness.Secrets.During = async (plan, ct) => seenByBackend = (await _harness.Store.GetCredentialAsync(taskId, plan.Jti, ct))?.Credential;

        var result = await _harness.SecretAsync(CoreHarness.Agent, token);
        var secret = result.Secret!.ToDictionary(p => p.Key, p => p.Value);
        var stored = (await _harness.Store.GetCredentialAsync(taskId, (string)secret["id"], CancellationToken.None))!.Credential;

        Assert.Multiple(() =>
        {
            Assert.That(result.Succeeded, Is.True, result.Description);
            Assert.That(result.IssuedTokenType, Is.EqualTo(TokenTypeUris.Secret));
            Assert.That(result.TokenType, Is.EqualTo("N_A"));
            Assert.That(result.Token, Is.EqualTo("s3cret-" + stored.Jti), "the password is the access_token");
            Assert.That(result.ExpiresIn, Is.EqualTo(120), "the provider's MaxTtl, shorter than the task's 10 minutes");
            Assert.That(secret["kind"], Is.EqualTo("postgresql"));
            Assert.That(secret["resource"], Is.EqualTo("postgres://payments"));
            Assert.That(secret["expiresAt"], Is.EqualTo("2026-11-28T09:02:00Z"));
            Assert.That(seenByBackend, Is.Not.Null, "the record exists before the backend is called");
            Assert.That(seenByBackend!.Secret, Is.EqualTo(new SecretReference("payments-db", "postgresql", stored.Secret!.Username, null)));
            Assert.That(stored.Kind, Is.EqualTo(CredentialKind.Secret));
            Assert.That(stored.ParentJti, Is.EqualTo(parent));
            Assert.That(stored.Audience, Is.EqualTo("postgres://payments"));
            Assert.That(stored.Holder, Is.EqualTo(CoreHarness.Agent.Id.Value));
            Assert.That(stored.ToString(), Does.Not.Contain(result.Token), "the record never holds the password");
        });
        Assert.That(await UnconfirmedAsync(TimeSpan.FromHours(1)), Is.Empty, "a confirmed issue leaves no mark for the revoker");
    }

    [Test]
    public async Task A_secret_never_outlives_its_subject_token()
    {
        var (_, token, _) = await NewTaskAsync(TimeSpan.FromSeconds(90));
        _harness.Time.Advance(TimeSpan.FromSeconds(20));

        var result = await _harness.SecretAsync(CoreHarness.Agent, token);

        Assert.That(result.ExpiresIn, Is.EqualTo(70));
    }

    [Test]
    public async Task A_resource_no_provider_serves_is_refused_and_one_a_provider_serves_is_issued()
    {
        var (_, token, _) = await NewTaskAsync();
        _harness.Secrets.Targets.Remove("postgres://payments");

        var unserved = await _harness.SecretAsync(CoreHarness.Agent, token);
        _harness.Secrets.Targets["postgres://payments"] = new SecretTarget("payments-db", "postgresql", "postgres://payments", TimeSpan.FromMinutes(2));
        var served = await _harness.SecretAsync(CoreHarness.Agent, token);

        Assert.Multiple(() =>
        {
            Assert.That(unserved.Error, Is.EqualTo(ExchangeError.InvalidTarget));
            Assert.That(unserved.Code, Is.EqualTo(ErrorCodes.SecretProviderUnknown));
            Assert.That(served.Succeeded, Is.True, served.Description);
        });
    }

    [Test]
    public async Task A_resource_the_task_does_not_grant_is_refused_even_when_a_provider_serves_it()
    {
        var (_, token, _) = await NewTaskAsync();
        _harness.Secrets.Targets["redis://cache"] = new SecretTarget("cache", "redis", "redis://cache", TimeSpan.FromMinutes(2));

        var ungranted = await _harness.SecretAsync(CoreHarness.Agent, token, "redis://cache");
        var granted = await _harness.SecretAsync(CoreHarness.Agent, token, "postgres://payments");

        Assert.Multiple(() =>
        {
            Assert.That(ungranted.Code, Is.EqualTo(ErrorCodes.TargetNotGranted));
            Assert.That(granted.Succeeded, Is.True, granted.Description);
            Assert.That(_harness.Secrets.Issued, Has.Count.EqualTo(1), "nothing reached the backend for the refused one");
        });
    }

    [Test]
    public async Task Policy_decides_with_the_provider_kind_as_a_fact()
    {
        var (_, token, _) = await NewTaskAsync();
        _harness.Policy.Decide = input => input.Request.SecretKind == "postgresql" ? TestPolicy.Deny("no-db-secrets") : TestPolicy.Allow("allow-all");

        var secret = await _harness.SecretAsync(CoreHarness.Agent, token);
        var accessToken = await _harness.ExchangeAsync(CoreHarness.Agent, token);

        Assert.Multiple(() =>
        {
            Assert.That(secret.Code, Is.EqualTo(ErrorCodes.PolicyDenied));
            Assert.That(secret.Description, Does.Contain("no-db-secrets"));
            Assert.That(accessToken.Succeeded, Is.True, "an access token for the same resource has no secret kind");
            Assert.That(_harness.Secrets.Issued, Is.Empty);
        });
    }

    [Test]
    public async Task A_secret_is_issued_only_to_the_workload_its_subject_token_is_bound_to()
    {
        var (_, token, _) = await NewTaskAsync();

        var stolen = await _harness.SecretAsync(CoreHarness.OtherAgent, token);
        var own = await _harness.SecretAsync(CoreHarness.Agent, token);

        Assert.Multiple(() =>
        {
            Assert.That(stolen.Code, Is.EqualTo(ErrorCodes.SubjectNotBound));
            Assert.That(own.Succeeded, Is.True, own.Description);
        });
    }

    [TestCase(true, ExchangeError.TemporarilyUnavailable, ErrorCodes.DownstreamUnavailable)]
    [TestCase(false, ExchangeError.InvalidTarget, ErrorCodes.DownstreamRefused)]
    public async Task A_backend_failure_issues_nothing_and_revokes_the_record_so_the_revoker_cleans_up(bool transient, ExchangeError error, string code)
    {
        var (taskId, token, _) = await NewTaskAsync();
        _harness.Secrets.Failure = new SecretIssueException("connection refused") { Transient = transient };
        var signals = _harness.Signal.Count;

        var failed = await _harness.SecretAsync(CoreHarness.Agent, token);
        var record = (await _harness.Store.GetTaskAsync(taskId, CancellationToken.None))!.Credentials.Single(c => c.Kind == CredentialKind.Secret);
        _harness.Secrets.Failure = null;
        var retried = await _harness.SecretAsync(CoreHarness.Agent, token);

        Assert.Multiple(() =>
        {
            Assert.That(failed.Succeeded, Is.False);
            Assert.That(failed.Error, Is.EqualTo(error));
            Assert.That(failed.Code, Is.EqualTo(code));
            Assert.That(failed.Description, Does.Contain("nothing was issued"));
            Assert.That(record.RevocationReason, Is.EqualTo(RevocationReasons.IssueIncomplete));
            Assert.That(_harness.Signal.Count, Is.GreaterThan(signals), "the revoker is told at once");
            Assert.That(retried.Succeeded, Is.True, "a retry once the backend answers is issued");
        });
    }

    [Test]
    public async Task A_backend_that_hangs_past_the_issue_timeout_is_given_up_and_its_record_revoked()
    {
        var (taskId, token, _) = await NewTaskAsync();
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _harness.Secrets.During = async (_, ct) =>
        {
            entered.SetResult();
            await Task.Delay(Timeout.Infinite, ct);
        };

        var exchange = _harness.SecretAsync(CoreHarness.Agent, token);
        await entered.Task;
        _harness.Time.Advance(TimeSpan.FromSeconds(29));
        var stillWaiting = exchange.IsCompleted;
        _harness.Time.Advance(TimeSpan.FromSeconds(1));
        var result = await exchange;
        var record = (await _harness.Store.GetTaskAsync(taskId, CancellationToken.None))!.Credentials.Single(c => c.Kind == CredentialKind.Secret);

        Assert.Multiple(() =>
        {
            Assert.That(stillWaiting, Is.False, "the backend has the whole SecretIssueTimeout");
            Assert.That(result.Code, Is.EqualTo(ErrorCodes.DownstreamUnavailable));
            Assert.That(record.RevocationReason, Is.EqualTo(RevocationReasons.IssueIncomplete));
        });
    }

    [Test]
    public async Task A_caller_that_goes_away_mid_issue_leaves_its_record_revoked()
    {
        var (taskId, token, _) = await NewTaskAsync();
        using var gone = new CancellationTokenSource();
        _harness.Secrets.During = async (_, ct) =>
        {
            await gone.CancelAsync();
            ct.ThrowIfCancellationRequested();
        };

        Assert.That(async () => await _harness.SecretAsync(CoreHarness.Agent, token, cancellationToken: gone.Token), Throws.InstanceOf<OperationCanceledException>());
        var record = (await _harness.Store.GetTaskAsync(taskId, CancellationToken.None))!.Credentials.Single(c => c.Kind == CredentialKind.Secret);

        Assert.That(record.RevocationReason, Is.EqualTo(RevocationReasons.IssueIncomplete));
    }

    [Test]
    public async Task A_task_that_ends_while_the_backend_creates_the_secret_gets_no_secret_and_the_revoker_is_due_to_revoke_it_again()
    {
        var (taskId, token, _) = await NewTaskAsync();
        _harness.Secrets.During = async (_, ct) => await _harness.Tasks.ChangeStateAsync(CoreHarness.Orchestrator, taskId, TaskState.Completed, null, ct);

        var raced = await _harness.SecretAsync(CoreHarness.Agent, token);
        var due = await UnconfirmedAsync(TimeSpan.Zero);

        Assert.Multiple(() =>
        {
            Assert.That(raced.Succeeded, Is.False, "the secret is never handed out");
            Assert.That(raced.Token, Is.Null);
            Assert.That(raced.Code, Is.EqualTo(ErrorCodes.SubjectInactive));
            Assert.That(due.Select(d => d.TaskId), Is.EqualTo(new[] { taskId }), "its issuing mark is due now, so the revoker revokes it again downstream");
        });
    }

    [Test]
    public async Task An_unconfirmed_issue_stays_marked_until_its_deadline()
    {
        var (taskId, token, _) = await NewTaskAsync();
        IReadOnlyList<(string TaskId, string Jti)>? beforeDeadline = null;
        IReadOnlyList<(string TaskId, string Jti)>? atDeadline = null;
        _harness.Secrets.During = async (plan, ct) =>
        {
            beforeDeadline = await UnconfirmedAsync(TimeSpan.FromSeconds(29));
            atDeadline = await UnconfirmedAsync(TimeSpan.FromSeconds(30));
        };

        var result = await _harness.SecretAsync(CoreHarness.Agent, token);

        Assert.Multiple(() =>
        {
            Assert.That(result.Succeeded, Is.True, result.Description);
            Assert.That(beforeDeadline, Is.Empty);
            Assert.That(atDeadline!.Select(d => d.TaskId), Is.EqualTo(new[] { taskId }));
        });
    }
}
