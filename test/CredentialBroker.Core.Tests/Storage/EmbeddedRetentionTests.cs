using CredentialBroker.Testing;
using CredentialBroker.Abstractions;
using CredentialBroker.Abstractions.Soc;
using CredentialBroker.Abstractions.Storage;
using CredentialBroker.Abstractions.Tasks;
using CredentialBroker.Core.Tasks;
using CredentialBroker.EmbeddedStore;
using CredentialBroker.Soc;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace CredentialBroker.Core.Tests.Storage;

/// <summary>The embedded store forgets records after RecordRetention, as Redis expires them: a dev broker left running stays bounded.</summary>
public sealed class EmbeddedRetentionTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 28, 9, 0, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider _time = new(Start);

    private static TaskRecord Task(string taskId, DateTimeOffset at) => new(taskId, "spiffe://a.example/agent", new WorkflowRef("wf", null, null), [], null, null, 0, [],
        "spiffe://a.example/orchestrator", at, at.AddMinutes(10), TaskState.Created, at, null);

    private static CredentialRecord Token(string taskId, DateTimeOffset at) => new("jti-" + taskId, taskId, CredentialKind.Task, null, "spiffe://a.example/agent", at, at.AddMinutes(10));

    private static BulkRevocation Revocation(DateTimeOffset at) =>
        new("rev_1", new RevocationSelector(WorkflowId: "wf"), "why", null, false, "spiffe://a.example/soc", at, BulkRevocationStatus.Completed, at, MatchCounts.None, 0, 0, 0, 0, 0);

    [TestCase(69, true)]
    [TestCase(71, false)]
    public async Task A_task_and_a_revocation_are_forgotten_a_retention_after_their_deadline(int minutesLater, bool kept)
    {
        var store = new InMemoryCredentialStore(_time, Options.Create(new CredentialBrokerOptions { RecordRetention = TimeSpan.FromHours(1) }));
        await store.CreateTaskAsync(Task("tsk_old", Start), Token("tsk_old", Start), TestAudit.For(null), CancellationToken.None);
        _time.Advance(TimeSpan.FromMinutes(10)); // the revocation is saved as the task's deadline passes: both are kept until 10:10
        await store.SaveRevocationAsync(Revocation(_time.GetUtcNow()), CancellationToken.None);

        _time.Advance(TimeSpan.FromMinutes(minutesLater - 10));
        var now = _time.GetUtcNow();
        await store.CreateTaskAsync(Task("tsk_new", now), Token("tsk_new", now), TestAudit.For(null), CancellationToken.None);

        Assert.Multiple(async () =>
        {
            Assert.That(await store.GetTaskAsync("tsk_old", CancellationToken.None), kept ? Is.Not.Null : Is.Null);
            Assert.That(await store.GetRevocationAsync("rev_1", CancellationToken.None), kept ? Is.Not.Null : Is.Null);
            Assert.That(await store.GetTaskAsync("tsk_new", CancellationToken.None), Is.Not.Null);
            Assert.That(store.ExpiryIndexCount, Is.EqualTo(kept ? 2 : 1));
        });
    }
}
