using CredentialBroker.Abstractions;
using CredentialBroker.Abstractions.Audit;
using CredentialBroker.Abstractions.Storage;
using CredentialBroker.Abstractions.Tasks;
using CredentialBroker.Core.Tasks;
using CredentialBroker.Testing;
using Microsoft.Extensions.Time.Testing;

namespace CredentialBroker.Redis.Tests;

/// <summary>
/// The boundary log's contract, kept by the embedded store (one chain), a real redis-server (one chain) and a real Redis
/// Cluster (16 chains): gap-free hash chains, task actions and their events together, task indexes, checkpoints and
/// trimming. Each test gets its own key prefix, so its chains start empty.
/// </summary>
[TestFixture(StoreKind.Embedded)]
[TestFixture(StoreKind.Redis)]
[TestFixture(StoreKind.RedisCluster)]
public sealed class AuditLogContractTests(StoreKind kind)
{
    private static readonly DateTimeOffset Start = TimeProvider.System.GetUtcNowSeconds();
    private readonly FakeTimeProvider _time = new(Start);
    private StoreFactory _factory = null!;
    private ICredentialStore _store = null!;
    private IAuditLog _log = null!;

    [SetUp]
    public async Task SetUp()
    {
        _factory = new StoreFactory();
        _store = await _factory.CreateAsync(kind, _time);
        _log = _factory.Audit;
    }

    [TearDown]
    public async Task TearDown() => await _factory.DisposeAsync();

    private static AuditEvent Event(string type, string? taskId, int n) =>
        new(type, taskId, $$"""{"type":"{{type}}","n":{{n}}{{(taskId is null ? "" : $",\"taskId\":\"{taskId}\"")}}}""");

    private static TaskRecord Task(string taskId) => new(
        taskId, "spiffe://a.example/agent", new WorkflowRef("wf-audit", "team-payments", "3"),
        [new AuthorizationGrant("sql.query", "postgres://payments", ["read"], null)], null, null, 1, [],
        "spiffe://a.example/orchestrator", Start, Start.AddMinutes(10), TaskState.Created, Start, null);

    private async Task<string> CreateTaskAsync()
    {
        var taskId = "tsk_" + Guid.NewGuid().ToString("N");
        await _store.CreateTaskAsync(Task(taskId), new CredentialRecord("jti-" + taskId, taskId, CredentialKind.Task, null, "spiffe://a.example/agent", Start, Start.AddMinutes(10)),
            Event(AuditEventTypes.TaskCreated, taskId, 1), CancellationToken.None);
        return taskId;
    }

    private async Task<IReadOnlyList<AuditEntry>> ChainAsync(int chain) => await _log.ReadAsync(chain, 0, 10_000, CancellationToken.None);

    private static void AssertLinked(IReadOnlyList<AuditEntry> entries, string prev)
    {
        foreach (var entry in entries)
        {
            Assert.That(entry.Prev, Is.EqualTo(prev), $"seq {entry.Seq} links to the event before it");
            Assert.That(entry.Hash, Is.EqualTo(AuditHash.Link(entry.Chain, entry.Seq, entry.Prev, entry.Body)), $"seq {entry.Seq} hashes as AuditHash.Link says");
            prev = entry.Hash;
        }
    }

    [Test]
    public async Task Concurrent_appends_form_one_gap_free_chain_whose_hashes_recompute_from_genesis()
    {
        await Parallel.ForEachAsync(Enumerable.Range(1, 40), async (n, ct) => await _log.AppendAsync(Event("test.concurrent", null, n), ct));

        var chain = await ChainAsync(_log.ChainOf(null));
        var heads = await _log.HeadsAsync(CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(chain.Select(e => e.Seq), Is.EqualTo(Enumerable.Range(1, 40).Select(i => (long)i)));
            Assert.That(chain.Select(e => e.Body).Distinct().Count(), Is.EqualTo(40), "every event is kept, none twice");
            AssertLinked(chain, AuditHash.Genesis);
            Assert.That(heads.Single(h => h.Chain == _log.ChainOf(null)), Is.EqualTo(new AuditHead(_log.ChainOf(null), 40, chain[^1].Hash)));
        });
    }

    [Test]
    public async Task An_event_is_stored_exactly_as_sent_and_an_altered_body_no_longer_matches_its_hash()
    {
        const string body = """{"type":"test.verbatim","promptId":"p-\r\n\u001b[31m\"x\"","emoji":"🔑"}""";
        var appended = await _log.AppendAsync(new AuditEvent("test.verbatim", null, body), CancellationToken.None);
        var stored = (await ChainAsync(appended.Chain)).Single();

        Assert.Multiple(() =>
        {
            Assert.That(stored, Is.EqualTo(appended));
            Assert.That(stored.Body, Is.EqualTo(body));
            Assert.That(AuditHash.Link(stored.Chain, stored.Seq, stored.Prev, stored.Body), Is.EqualTo(stored.Hash));
            Assert.That(AuditHash.Link(stored.Chain, stored.Seq, stored.Prev, body.Replace("p-", "q-", StringComparison.Ordinal)), Is.Not.EqualTo(stored.Hash));
        });
    }

    [Test]
    public async Task A_task_s_actions_land_in_its_chain_and_index_in_order_and_another_task_s_do_not()
    {
        var taskId = await CreateTaskAsync();
        var other = await CreateTaskAsync();
        await _store.AddCredentialAsync(new CredentialRecord("jti-child-" + taskId, taskId, CredentialKind.AccessToken, "jti-" + taskId, "spiffe://a.example/agent", Start, Start.AddMinutes(5)),
            [TaskState.Created, TaskState.Running], Start, 100, Event(AuditEventTypes.CredentialIssued, taskId, 2), CancellationToken.None);
        await _store.ChangeStateAsync(new StateChangeRequest(taskId, TaskState.Completed, TaskStateMachine.SourcesOf(TaskState.Completed), Start.AddSeconds(1), "done",
            [CredentialKind.Task, CredentialKind.AccessToken], RevocationReasons.TaskCompleted, Event(AuditEventTypes.StateChanged, taskId, 3)), CancellationToken.None);
        await _log.AppendAsync(Event(AuditEventTypes.ExchangeDenied, taskId, 4), CancellationToken.None);

        var events = await _log.TaskEventsAsync(taskId, CancellationToken.None);
        var others = await _log.TaskEventsAsync(other, CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(events.Select(e => e.Body), Is.EqualTo(new[]
            {
                Event(AuditEventTypes.TaskCreated, taskId, 1).Body, Event(AuditEventTypes.CredentialIssued, taskId, 2).Body,
                Event(AuditEventTypes.StateChanged, taskId, 3).Body, Event(AuditEventTypes.ExchangeDenied, taskId, 4).Body,
            }));
            Assert.That(events.Select(e => e.Chain).Distinct(), Is.EqualTo(new[] { _log.ChainOf(taskId) }));
            Assert.That(events.Select(e => e.Seq), Is.Ordered.Ascending);
            Assert.That(others.Select(e => e.Body), Is.EqualTo(new[] { Event(AuditEventTypes.TaskCreated, other, 1).Body }));
        });
    }

    [Test]
    public async Task A_refused_action_appends_no_event_and_an_accepted_one_does()
    {
        var taskId = await CreateTaskAsync();
        var refused = await _store.AddCredentialAsync(new CredentialRecord("jti-orphan", taskId, CredentialKind.AccessToken, "jti-unknown", "spiffe://a.example/agent", Start, Start.AddMinutes(5)),
            [TaskState.Created, TaskState.Running], Start, 100, Event(AuditEventTypes.CredentialIssued, taskId, 2), CancellationToken.None);
        var afterRefusal = await _log.TaskEventsAsync(taskId, CancellationToken.None);
        var accepted = await _store.AddCredentialAsync(new CredentialRecord("jti-child", taskId, CredentialKind.AccessToken, "jti-" + taskId, "spiffe://a.example/agent", Start, Start.AddMinutes(5)),
            [TaskState.Created, TaskState.Running], Start, 100, Event(AuditEventTypes.CredentialIssued, taskId, 3), CancellationToken.None);
        var afterAcceptance = await _log.TaskEventsAsync(taskId, CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(refused.Outcome, Is.Not.EqualTo(CredentialAddition.Added));
            Assert.That(afterRefusal, Has.Count.EqualTo(1), "only task.created: the refused credential has no event");
            Assert.That(accepted.Outcome, Is.EqualTo(CredentialAddition.Added));
            Assert.That(afterAcceptance[^1].Body, Is.EqualTo(Event(AuditEventTypes.CredentialIssued, taskId, 3).Body));
        });
    }

    [Test]
    public async Task Reading_pages_after_a_position_without_gaps_or_repeats()
    {
        for (var n = 1; n <= 25; n++)
        {
            await _log.AppendAsync(Event("test.page", null, n), CancellationToken.None);
        }

        var chain = _log.ChainOf(null);
        var read = new List<AuditEntry>();
        for (long after = 0; ;)
        {
            var page = await _log.ReadAsync(chain, after, 10, CancellationToken.None);
            if (page.Count == 0)
            {
                break;
            }

            Assert.That(page, Has.Count.LessThanOrEqualTo(10));
            read.AddRange(page);
            after = page[^1].Seq;
        }

        Assert.That(read.Select(e => e.Seq), Is.EqualTo(Enumerable.Range(1, 25).Select(i => (long)i)));
    }

    [Test]
    public async Task Trimming_forgets_events_through_the_position_only_and_the_rest_still_links_to_the_head()
    {
        for (var n = 1; n <= 12; n++)
        {
            await _log.AppendAsync(Event("test.trim", null, n), CancellationToken.None);
        }

        var chain = _log.ChainOf(null);
        var before = await ChainAsync(chain);
        var trimmed = await _log.TrimAsync(chain, 5, CancellationToken.None);
        var after = await ChainAsync(chain);
        var heads = await _log.HeadsAsync(CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(trimmed, Is.EqualTo(5));
            Assert.That(after.Select(e => e.Seq), Is.EqualTo(Enumerable.Range(6, 7).Select(i => (long)i)), "events 6–12 are kept");
            Assert.That(after, Is.EqualTo(before.Skip(5)), "kept events are unchanged");
            AssertLinked(after, before[4].Hash);
            Assert.That(heads.Single(h => h.Chain == chain).Seq, Is.EqualTo(12));
        });
    }

    [Test]
    public async Task Checkpoints_read_back_oldest_first_and_the_last_is_the_newest_and_none_before_the_first()
    {
        var none = await _log.LastCheckpointAsync(CancellationToken.None);
        await _log.AppendAsync(Event("test.checkpoint", null, 1), CancellationToken.None);
        var first = new AuditCheckpoint(1, await _log.HeadsAsync(CancellationToken.None), Start, "h.p.s1");
        await _log.AddCheckpointAsync(first, CancellationToken.None);
        await _log.AppendAsync(Event("test.checkpoint", null, 2), CancellationToken.None);
        var second = new AuditCheckpoint(2, await _log.HeadsAsync(CancellationToken.None), Start.AddMinutes(1), "h.p.s2");
        await _log.AddCheckpointAsync(second, CancellationToken.None);

        var all = await _log.CheckpointsAsync(CancellationToken.None);
        var last = await _log.LastCheckpointAsync(CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(none, Is.Null);
            Assert.That(all.Select(c => (c.Seq, c.Jws, c.Time)), Is.EqualTo(new[] { (1L, "h.p.s1", Start), (2L, "h.p.s2", Start.AddMinutes(1)) }));
            Assert.That(all[1].Heads.Single().Seq, Is.EqualTo(2));
            Assert.That(last!.Seq, Is.EqualTo(2));
        });
    }

    [Test]
    public async Task Past_MaxCheckpoints_the_kept_checkpoints_still_reach_back_to_the_oldest_and_end_with_the_newest()
    {
        await _log.AppendAsync(Event("test.checkpoint", null, 1), CancellationToken.None);
        var heads = await _log.HeadsAsync(CancellationToken.None);
        var max = new AuditOptions().MaxCheckpoints;
        for (var n = 1; n <= max + 2; n++)
        {
            await _log.AddCheckpointAsync(new AuditCheckpoint(n, heads, Start.AddMinutes(n), $"h.p.s{n}"), CancellationToken.None);
        }

        var kept = await _log.CheckpointsAsync(CancellationToken.None);

        // Dropping the oldest would leave none older than Retention to trim behind (1000 a minute reach back 17 hours, not 30 days).
        Assert.Multiple(() =>
        {
            Assert.That(kept, Has.Count.EqualTo(max));
            Assert.That(kept[0].Seq, Is.EqualTo(1), "the oldest stays");
            Assert.That(kept[^1].Seq, Is.EqualTo(max + 2), "the newest stays");
            Assert.That(kept.Select(c => c.Seq), Is.Ordered.Ascending);
        });
    }
}
