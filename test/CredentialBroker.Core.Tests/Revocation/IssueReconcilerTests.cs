using CredentialBroker.Abstractions;
using CredentialBroker.Abstractions.Storage;
using CredentialBroker.Abstractions.Tasks;

namespace CredentialBroker.Core.Tests.Revocation;

/// <summary>
/// Downstream secrets whose issue was never confirmed — the issuer crashed or hung between record and answer, or lost a
/// race with a revocation — are revoked downstream by the revoker, and confirmed ones are left alone.
/// </summary>
public sealed class IssueReconcilerTests : IDisposable
{
    private readonly RevokerHarness _harness;
    private readonly FlakyDownstream _backend = new(CredentialKind.Secret, failures: 0);

    public IssueReconcilerTests() => _harness = new RevokerHarness(_backend);

    public void Dispose() => _harness.Dispose();

    private CoreHarness Core => _harness.Core;

    private async Task<(string TaskId, string Token)> NewTaskAsync()
    {
        var issued = await Core.IssueAsync(CoreHarness.Draft());
        return (issued.Task!.TaskId, issued.Token!);
    }

    private async Task<CredentialRecord> SecretAsync(string taskId) =>
        (await Core.Store.GetTaskAsync(taskId, CancellationToken.None))!.Credentials.Single(c => c.Kind == CredentialKind.Secret);

    [Test]
    public async Task A_secret_whose_issuer_died_mid_call_is_revoked_downstream_after_its_deadline()
    {
        var (taskId, token) = await NewTaskAsync();
        Core.Secrets.During = (_, _) => throw new InvalidOperationException("the process died here");
        Assert.That(async () => await Core.SecretAsync(CoreHarness.Agent, token), Throws.InvalidOperationException);

        var beforeDeadline = await _harness.Reconciler.ReconcileAsync(CancellationToken.None);
        var untouched = await SecretAsync(taskId);
        Core.Time.Advance(new CredentialBrokerOptions().SecretIssueTimeout);
        var atDeadline = await _harness.Reconciler.ReconcileAsync(CancellationToken.None);
        await _harness.Worker.DrainAsync(CancellationToken.None);
        var secret = await SecretAsync(taskId);
        var again = await _harness.Reconciler.ReconcileAsync(CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(beforeDeadline, Is.Zero);
            Assert.That(untouched.RevokedAt, Is.Null, "an issue still within its timeout is left to its issuer");
            Assert.That(atDeadline, Is.EqualTo(1));
            Assert.That(secret.RevocationReason, Is.EqualTo(RevocationReasons.IssueIncomplete));
            Assert.That(_backend.Revoked, Does.Contain(secret.Jti), "revoked downstream, whatever the backend holds of it");
            Assert.That(secret.Downstream!.VerifiedAt, Is.Not.Null);
            Assert.That(again, Is.Zero, "reconciled once");
        });
    }

    [Test]
    public async Task A_confirmed_secret_is_never_reconciled()
    {
        var (taskId, token) = await NewTaskAsync();
        var issued = await Core.SecretAsync(CoreHarness.Agent, token);
        Core.Time.Advance(new CredentialBrokerOptions().SecretIssueTimeout * 2);

        var reconciled = await _harness.Reconciler.ReconcileAsync(CancellationToken.None);
        var secret = await SecretAsync(taskId);

        Assert.Multiple(() =>
        {
            Assert.That(issued.Succeeded, Is.True, issued.Description);
            Assert.That(reconciled, Is.Zero);
            Assert.That(secret.RevokedAt, Is.Null);
            Assert.That(_backend.Calls, Is.Zero);
        });
    }

    [Test]
    public async Task A_secret_created_after_its_revocation_ran_downstream_is_revoked_once_more()
    {
        var (taskId, token) = await NewTaskAsync();
        Core.Secrets.During = async (_, ct) =>
        {
            // The task completes and the revoker finishes it downstream while the backend is still creating the secret.
            await Core.Tasks.ChangeStateAsync(CoreHarness.Orchestrator, taskId, TaskState.Completed, null, ct);
            await _harness.Worker.DrainAsync(ct);
        };

        var raced = await Core.SecretAsync(CoreHarness.Agent, token);
        var callsBefore = _backend.Calls;
        var reconciled = await _harness.Reconciler.ReconcileAsync(CancellationToken.None);
        var secret = await SecretAsync(taskId);

        Assert.Multiple(() =>
        {
            Assert.That(raced.Succeeded, Is.False);
            Assert.That(callsBefore, Is.EqualTo(1), "the first revocation ran before the secret existed");
            Assert.That(reconciled, Is.EqualTo(1));
            Assert.That(_backend.Calls, Is.EqualTo(2), "revoked downstream again, after the backend's answer");
            Assert.That(secret.Downstream!.Attempts, Is.EqualTo(2));
            Assert.That(secret.Downstream.Irrevocable, Is.False);
        });
    }

    // Its twin where the second revocation fails: the reconciler read the first (settled) outcome, so its failure replaces
    // it — the secret is irrevocable, alerted and retried, never shown revoked while it lives at the backend.
    [Test]
    public async Task A_secret_revoked_once_more_whose_second_revocation_fails_is_irrevocable_and_retried()
    {
        var (taskId, token) = await NewTaskAsync();
        Core.Secrets.During = async (_, ct) =>
        {
            await Core.Tasks.ChangeStateAsync(CoreHarness.Orchestrator, taskId, TaskState.Completed, null, ct);
            await _harness.Worker.DrainAsync(ct);
        };
        await Core.SecretAsync(CoreHarness.Agent, token);
        var first = (await SecretAsync(taskId)).Downstream;
        _backend.Failures = int.MaxValue;

        var reconciled = await _harness.Reconciler.ReconcileAsync(CancellationToken.None);
        var secret = await SecretAsync(taskId);
        _backend.Failures = 0;
        Core.Time.Advance(_harness.Settings.IrrevocableRetryInterval);
        var recovered = await _harness.Retrier.RetryDueAsync(CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(first!.IsSettled, Is.True, "the first revocation ran, before the secret existed");
            Assert.That(reconciled, Is.EqualTo(1));
            Assert.That(secret.Downstream!.Irrevocable, Is.True, "the failed second revocation is recorded over the first");
            Assert.That(secret.Downstream.RevokedAt, Is.Null);
            Assert.That(recovered, Is.EqualTo(1), "and retried until it succeeds");
        });
    }
}
