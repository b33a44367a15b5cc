using CredentialBroker.Testing;
using CredentialBroker.Abstractions;
using CredentialBroker.Abstractions.Soc;
using CredentialBroker.Abstractions.Storage;
using CredentialBroker.Abstractions.Tasks;
using CredentialBroker.Core;
using CredentialBroker.Core.Tasks;
using CredentialBroker.EmbeddedStore;
using Microsoft.Extensions.Time.Testing;

namespace CredentialBroker.Redis.Tests;

/// <summary>The SOC side of the store contract, against the embedded store, a real redis-server and a real Redis Cluster.</summary>
[TestFixture(StoreKind.Embedded)]
[TestFixture(StoreKind.Redis)]
[TestFixture(StoreKind.RedisCluster)]
public sealed class SocStoreContractTests(StoreKind kind) : IAsyncDisposable
{
    private static readonly DateTimeOffset Start = TimeProvider.System.GetUtcNowSeconds();
    private readonly FakeTimeProvider _time = new(Start);
    private readonly StoreFactory _factory = new();
    private ICredentialStore _store = null!;
    private ISocStore _soc = null!;

    [SetUp]
    public async Task SetUp()
    {
        _store = await _factory.CreateAsync(kind, _time);
        _soc = _factory.Soc;
    }

    public ValueTask DisposeAsync() => _factory.DisposeAsync();

    private async Task<(string TaskId, string Jti)> CreateAsync(string agent, string workflow, string approval, string approver)
    {
        var taskId = "tsk_" + Guid.NewGuid().ToString("N");
        var jti = Guid.NewGuid().ToString("N");
        var task = new TaskRecord(taskId, agent, new WorkflowRef(workflow, null, null), [new AuthorizationGrant("sql", "postgres://db", ["read"], null)],
            new TaskApproval(approval, approver, Start), null, 2, [], "spiffe://a.example/orchestrator", Start, Start.AddMinutes(10), TaskState.Created, Start, null);
        await _store.CreateTaskAsync(task, new CredentialRecord(jti, taskId, CredentialKind.Task, null, agent, Start, Start.AddMinutes(10)), TestAudit.For(task.TaskId), CancellationToken.None);
        return (taskId, jti);
    }

    private async Task<string> AddAccessTokenAsync(string taskId, string parent, string holder, string resource)
    {
        var jti = Guid.NewGuid().ToString("N");
        var added = await _store.AddCredentialAsync(
            new CredentialRecord(jti, taskId, CredentialKind.AccessToken, parent, holder, Start, Start.AddMinutes(5), Audience: resource),
            [TaskState.Created], Start, 1000, TestAudit.For(null), CancellationToken.None);
        Assert.That(added.Outcome, Is.EqualTo(CredentialAddition.Added));
        return jti;
    }

    private async Task<List<string>> FindAsync(RevocationSelector selector)
    {
        var found = new List<string>();
        await foreach (var taskId in _soc.FindTaskIdsAsync(selector, CancellationToken.None))
        {
            found.Add(taskId);
        }

        return found;
    }

    [Test]
    public async Task Each_selector_member_finds_the_task_it_names_and_not_the_other()
    {
        var unique = Guid.NewGuid().ToString("N")[..8];
        var (first, firstJti) = await CreateAsync($"spiffe://a.example/agents/{unique}/one", "wf-a-" + unique, "CHG-a-" + unique, "alice-" + unique);
        var (second, _) = await CreateAsync($"spiffe://a.example/agents/{unique}-other/two", "wf-b-" + unique, "CHG-b-" + unique, "bob-" + unique);
        var accessToken = await AddAccessTokenAsync(first, firstJti, $"spiffe://a.example/agents/{unique}/one", "postgres://payments-" + unique);

        var selectors = new[]
        {
            new RevocationSelector(Workload: $"spiffe://a.example/agents/{unique}/one"),
            new RevocationSelector(Workload: $"spiffe://a.example/agents/{unique}/"),
            new RevocationSelector(WorkflowId: "wf-a-" + unique),
            new RevocationSelector(ApprovalId: "CHG-a-" + unique),
            new RevocationSelector(Approver: "alice-" + unique),
            new RevocationSelector(Resource: "postgres://payments-" + unique),
            new RevocationSelector(DerivedFrom: accessToken),
            new RevocationSelector(TaskId: first),
        };
        foreach (var selector in selectors)
        {
            var found = await FindAsync(selector);
            Assert.That(found, Does.Contain(first).And.Not.Contain(second), selector.ToString());
            Assert.That(found, Is.Unique, selector.ToString());
        }
    }

    [Test]
    public async Task Time_bounds_alone_find_every_live_task_and_an_unknown_member_finds_none()
    {
        var (taskId, _) = await CreateAsync("spiffe://a.example/agents/t", "wf-t", "CHG-t", "carol");

        Assert.Multiple(async () =>
        {
            Assert.That(await FindAsync(new RevocationSelector(IssuedAfter: Start.AddMinutes(-1))), Does.Contain(taskId));
            Assert.That(await FindAsync(new RevocationSelector(WorkflowId: "wf-nobody-ran")), Is.Empty);
            Assert.That(await FindAsync(new RevocationSelector(DerivedFrom: "no-such-jti")), Is.Empty);
            Assert.That(await FindAsync(new RevocationSelector(Workload: "spiffe://a.example/nobody/")), Is.Empty);
        });
    }

    private static BulkRevocation Revocation(string id, DateTimeOffset requestedAt, BulkRevocationStatus status, bool quarantine = false) =>
        new(id, new RevocationSelector(Workload: "spiffe://a.example/agents/x"), "why", null, quarantine, "spiffe://a.example/soc", requestedAt,
            status, BrokerRevokedAt: status != BulkRevocationStatus.Running ? requestedAt.AddMilliseconds(500) : null, new MatchCounts(2, new Dictionary<string, int> { ["task"] = 2 }, new Dictionary<string, int> { ["broker"] = 2 }),
            2, 1, 1, 0, 0, status == BulkRevocationStatus.Running ? null : requestedAt.AddSeconds(1));

    [Test]
    public async Task Revocations_round_trip_and_only_those_in_force_are_listed_active()
    {
        var running = Revocation("rev_running", Start.AddHours(-2), BulkRevocationStatus.Running);
        var young = Revocation("rev_young", Start.AddSeconds(-10), BulkRevocationStatus.Completed);
        var quarantining = Revocation("rev_quarantine", Start.AddHours(-2), BulkRevocationStatus.Completed, quarantine: true);
        var done = Revocation("rev_done", Start.AddHours(-2), BulkRevocationStatus.Completed);
        var lifted = Revocation("rev_lifted", Start.AddHours(-2), BulkRevocationStatus.Completed, quarantine: true) with { QuarantineLiftedAt = Start.AddHours(-1), QuarantineLiftedBy = "spiffe://a.example/soc" };
        foreach (var revocation in new[] { running, young, quarantining, done, lifted with { QuarantineLiftedAt = null, QuarantineLiftedBy = null } })
        {
            await _soc.SaveRevocationAsync(revocation, CancellationToken.None);
        }

        await _soc.LiftQuarantineAsync("rev_lifted", Start.AddHours(-1), "spiffe://a.example/soc", CancellationToken.None);

        var active = await _soc.ListActiveRevocationsAsync(Start.AddMinutes(-15), CancellationToken.None);
        var stored = await _soc.GetRevocationAsync("rev_lifted", CancellationToken.None);

        Assert.Multiple(async () =>
        {
            Assert.That(active.Select(r => r.Id), Is.EquivalentTo(new[] { "rev_running", "rev_young", "rev_quarantine" }));
            Assert.That(stored, Is.EqualTo(lifted).Using<BulkRevocation>(SameRevocation));
            Assert.That(await _soc.GetRevocationAsync("rev_unknown", CancellationToken.None), Is.Null);
        });
    }

    [Test]
    public async Task A_lift_survives_a_progress_write_that_never_saw_it()
    {
        var revocation = Revocation("rev_q", Start, BulkRevocationStatus.Running, quarantine: true);
        await _soc.SaveRevocationAsync(revocation, CancellationToken.None);
        var staleCopy = await _soc.GetRevocationAsync("rev_q", CancellationToken.None);

        var lifted = await _soc.LiftQuarantineAsync("rev_q", Start.AddSeconds(5), "spiffe://a.example/soc", CancellationToken.None);
        await _soc.SaveRevocationAsync(staleCopy! with { Revoked = 42 }, CancellationToken.None);
        var liftedAgain = await _soc.LiftQuarantineAsync("rev_q", Start.AddSeconds(9), "spiffe://a.example/soc-2", CancellationToken.None);
        var stored = await _soc.GetRevocationAsync("rev_q", CancellationToken.None);
        var active = await _soc.ListActiveRevocationsAsync(Start.AddMinutes(-15), CancellationToken.None);

        Assert.Multiple(async () =>
        {
            Assert.That(lifted!.QuarantineLiftedAt, Is.EqualTo(Start.AddSeconds(5)));
            Assert.That(stored!.Revoked, Is.EqualTo(42), "the progress write landed");
            Assert.That(stored.Quarantining, Is.False, "and did not undo the lift");
            Assert.That(stored.QuarantineLiftedBy, Is.EqualTo("spiffe://a.example/soc"), "the first lift stands");
            Assert.That(liftedAgain!.QuarantineLiftedAt, Is.EqualTo(Start.AddSeconds(5)));
            Assert.That(active.Single(r => r.Id == "rev_q").Quarantining, Is.False, "the rules every replica loads see the lift");
            Assert.That(await _soc.LiftQuarantineAsync("rev_unknown", Start, "spiffe://a.example/soc", CancellationToken.None), Is.Null);
        });
    }

    private static bool SameRevocation(BulkRevocation a, BulkRevocation b) =>
        a with { Matched = MatchCounts.None } == b with { Matched = MatchCounts.None }
        && a.Matched.Total == b.Matched.Total
        && a.Matched.ByKind.OrderBy(k => k.Key).SequenceEqual(b.Matched.ByKind.OrderBy(k => k.Key))
        && a.Matched.ByResource.OrderBy(k => k.Key).SequenceEqual(b.Matched.ByResource.OrderBy(k => k.Key));

    [Test]
    public async Task Matches_accumulate_without_duplicates()
    {
        await _soc.AddMatchesAsync("rev_m", [new("tsk_1", "a"), new("tsk_1", "b")], CancellationToken.None);
        await _soc.AddMatchesAsync("rev_m", [new("tsk_1", "b"), new("tsk_2", "c")], CancellationToken.None);

        Assert.Multiple(async () =>
        {
            Assert.That(await _soc.ReadMatchesAsync("rev_m", CancellationToken.None), Is.EquivalentTo(new CredentialRef[] { new("tsk_1", "a"), new("tsk_1", "b"), new("tsk_2", "c") }));
            Assert.That(await _soc.ReadMatchesAsync("rev_none", CancellationToken.None), Is.Empty);
        });
    }

    [Test]
    public async Task A_lease_belongs_to_one_owner_who_may_renew_it()
    {
        var name = "bulk:" + Guid.NewGuid().ToString("N");
        Assert.Multiple(async () =>
        {
            Assert.That(await _soc.TryLeaseAsync(name, "replica-a", TimeSpan.FromMinutes(1), CancellationToken.None), Is.True);
            Assert.That(await _soc.TryLeaseAsync(name, "replica-b", TimeSpan.FromMinutes(1), CancellationToken.None), Is.False);
            Assert.That(await _soc.TryLeaseAsync(name, "replica-a", TimeSpan.FromMinutes(1), CancellationToken.None), Is.True);
        });
    }

    [Test]
    public async Task Incidents_round_trip_newest_first()
    {
        var older = new Incident("inc_older", "first", "low", Start.AddMinutes(-9), Start.AddMinutes(-8), "spiffe://a.example/soc", new RevocationSelector(WorkflowId: "wf"), []);
        var newer = new Incident("inc_newer", "second", "critical", Start.AddMinutes(-2), Start.AddMinutes(-1), "spiffe://a.example/soc", new RevocationSelector(Workload: "spiffe://a.example/agents/"), []);
        await _soc.SaveIncidentAsync(older, CancellationToken.None);
        await _soc.SaveIncidentAsync(newer, CancellationToken.None);
        var linked = await _soc.LinkRevocationAsync("inc_newer", "rev_later", Start, CancellationToken.None);
        await _soc.LinkRevocationAsync("inc_newer", "rev_first", Start.AddSeconds(-30), CancellationToken.None);
        var linkedToNothing = await _soc.LinkRevocationAsync("inc_unknown", "rev_x", Start, CancellationToken.None);
        await _soc.SaveIncidentAsync(newer with { Title = "second, renamed" }, CancellationToken.None); // a rewrite keeps the links

        var listed = await _soc.ListIncidentsAsync(CancellationToken.None);
        var one = await _soc.GetIncidentAsync("inc_newer", CancellationToken.None);

        Assert.Multiple(async () =>
        {
            Assert.That(listed.Select(i => i.Id), Is.EqualTo(new[] { "inc_newer", "inc_older" }));
            Assert.That(listed[1] with { RevocationIds = older.RevocationIds }, Is.EqualTo(older));
            Assert.That(listed[1].RevocationIds, Is.Empty);
            Assert.That(one! with { RevocationIds = newer.RevocationIds }, Is.EqualTo(newer with { Title = "second, renamed" }));
            Assert.That(one.RevocationIds, Is.EqualTo(new[] { "rev_first", "rev_later" }), "oldest first");
            Assert.That(one.RevocationId, Is.EqualTo("rev_first"));
            Assert.That(listed[0].RevocationIds, Is.EqualTo(one.RevocationIds));
            Assert.That(linked, Is.True);
            Assert.That(linkedToNothing, Is.False);
            Assert.That(await _soc.GetIncidentAsync("inc_unknown", CancellationToken.None), Is.Null);
        });
    }

    [Test]
    public async Task A_key_is_remembered_once()
    {
        var key = "ssf:" + Guid.NewGuid().ToString("N");
        Assert.Multiple(async () =>
        {
            Assert.That(await _soc.RememberOnceAsync(key, TimeSpan.FromMinutes(5), CancellationToken.None), Is.True);
            Assert.That(await _soc.RememberOnceAsync(key, TimeSpan.FromMinutes(5), CancellationToken.None), Is.False);
            Assert.That(await _soc.RememberOnceAsync(key + "-other", TimeSpan.FromMinutes(5), CancellationToken.None), Is.True);
        });
    }
}
