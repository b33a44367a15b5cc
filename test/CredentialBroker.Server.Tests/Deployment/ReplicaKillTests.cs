using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using CredentialBroker.Abstractions;
using CredentialBroker.Testing;

namespace CredentialBroker.Server.Tests.Deployment;

/// <summary>
/// Several replicas: three broker processes (the real binary, production mode) on one real Redis Cluster (three
/// primaries, three replicas), clients spread over them, and one replica killed with SIGKILL while the work is under way
/// — mid-fan-out of a bulk revocation of 100,000 credentials, and mid-storm of 10,000 credentials expiring in the same
/// second. The two survivors finish the work once the dead replica's leases run out (<c>Revoker:Lease</c> and
/// <c>Soc:Lease</c>, 3 s here): every credential is revoked, delivered downstream and verified, none is missed. (Delivery
/// is at least once: a batch the dead replica delivered but had not recorded is delivered again, which consumers of the
/// feed and downstream revocation, idempotent, absorb.)
/// The credentials are written through the broker's own Redis store (HTTP issuance of 100,000 would take minutes on
/// this machine), plus real tasks issued over HTTP whose tokens are shown inactive at the end.
/// </summary>
[NonParallelizable]
public sealed class ReplicaKillTests
{
    private const string TrustDomain = Replicas.TrustDomain;
    private const string Agent = Replicas.Agent;
    private const string Resource = Replicas.Resource;
    private static readonly TimeSpan Bound = Replicas.Bound;

    private static RedisCluster _cluster = null!;
    private static TestTrustDomain _trust = null!;

    [OneTimeSetUp]
    public static async Task StartClusterAsync()
    {
        _cluster = await RedisCluster.StartAsync();
        _trust = new TestTrustDomain(TrustDomain);
    }

    [OneTimeTearDown]
    public static async Task StopClusterAsync()
    {
        await _cluster.DisposeAsync();
        _trust.Dispose();
    }

    [Test]
    public async Task A_replica_killed_mid_fan_out_of_a_bulk_revocation_of_100000_leaves_the_others_to_revoke_every_one()
    {
        const int Stored = 100_000;
        const int Issued = 30;
        await using var replicas = await Replicas.StartAsync(_cluster.ConnectionString, _trust, count: 1);
        var workflow = "wf-bulk-" + Guid.NewGuid().ToString("N")[..6];
        var written = Stopwatch.StartNew();
        await replicas.WriteTasksAsync(Stored, i => $"{workflow}_{i:D6}", TimeProvider.System.GetUtcNowSeconds().AddMinutes(30), workflow);
        var writeTime = written.Elapsed;
        var tokens = new ConcurrentBag<string>();
        await Parallel.ForEachAsync(Enumerable.Range(0, Issued), async (i, _) =>
        {
            using var created = await replicas.As(0, "/orchestrator").CreateTaskAsync(Replicas.TaskBody(workflow, 900));
            var body = await created.Content.ReadAsStringAsync(CancellationToken.None);
            Assert.That(created.StatusCode, Is.EqualTo(HttpStatusCode.Created), body);
            tokens.Add((string)JsonNode.Parse(body)!["token"]!);
        });

        // Replica 0, alone, accepts the revocation and takes its lease; then the other two start.
        var soc = replicas.As(0, "/soc");
        var clock = Stopwatch.StartNew();
        using var started = await soc.PostAsync("/v1/revocations", Api.Json($$"""{"selector": {"workflowId": "{{workflow}}"}, "reason": "replica kill test"}"""));
        Assert.That(started.StatusCode, Is.EqualTo(HttpStatusCode.Accepted), await started.Content.ReadAsStringAsync());
        var id = (string)(await started.JsonAsync())["id"]!;
        var holder = await Poll.ValueAsync(() => replicas.LeaseHolderAsync("bulk:" + id), h => h is not null, Bound, "replica 0 takes the revocation's lease");
        await replicas.AddAsync();
        await replicas.AddAsync();

        // Mid-fan-out: the revocation still running, credentials still to be delivered downstream, and replica 0 still
        // holding its lease. It dies there.
        var atKill = await replicas.ProgressAsync(1, id);
        var holderAtKill = await replicas.LeaseHolderAsync("bulk:" + id);
        replicas.Kill(0);
        var killedAt = clock.Elapsed;
        var total = Stored + Issued;
        Assert.Multiple(() =>
        {
            Assert.That((string)atKill["status"]!, Is.EqualTo("running"), "the kill came mid-fan-out, not after it");
            Assert.That((int)atKill["downstreamRevoked"]!, Is.LessThan(total), "credentials were still to be delivered downstream");
            Assert.That(holderAtKill, Is.EqualTo(holder), "the replica killed held the revocation's lease");
        });

        var done = await Poll.ValueAsync(
            () => replicas.ProgressAsync(1, id),
            p => (string)p!["status"]! != "running",
            Bound, "the survivors finish the bulk revocation");
        var finishedAt = clock.Elapsed;
        var active = 0;
        foreach (var token in tokens)
        {
            using var introspected = await replicas.As(2, "/soc").IntrospectAsync(token);
            var body = await introspected.Content.ReadAsStringAsync();
            Assert.That(introspected.StatusCode, Is.EqualTo(HttpStatusCode.OK), body);
            active += (bool)JsonNode.Parse(body)!["active"]! ? 1 : 0;
        }

        var notRevoked = await replicas.CountAsync(Stored, i => $"{workflow}_{i:D6}", c => c.RevokedAt is null || c.Downstream?.RevokedAt is null);
        await TestContext.Out.WriteLineAsync(
            $"Bulk revocation over 3 replicas: {Stored:N0} records written through the store in {writeTime.TotalSeconds:F1} s; replica 0 (the lease holder) killed at " +
            $"{killedAt.TotalSeconds:F1} s with {atKill["downstreamRevoked"]} delivered downstream, {atKill["verified"]} verified; status {done!["status"]} at {finishedAt.TotalSeconds:F1} s " +
            $"(matched {done["matched"]!["total"]}, revoked {done["revoked"]}, downstream {done["downstreamRevoked"]}, verified {done["verified"]}); " +
            $"{notRevoked} records not revoked, {active} of {Issued} real tokens active.");
        Assert.Multiple(() =>
        {
            Assert.That((string)done["status"]!, Is.EqualTo("completed"));
            Assert.That((int)done["matched"]!["total"]!, Is.EqualTo(total), "every credential matched, none missed");
            Assert.That((int)done["revoked"]!, Is.EqualTo(total));
            Assert.That((int)done["downstreamRevoked"]!, Is.EqualTo(total), "every one delivered downstream");
            Assert.That((int)done["verified"]!, Is.EqualTo(total), "every one verified");
            Assert.That((int)done["irrevocable"]! + (int)done["failed"]!, Is.Zero);
            Assert.That(notRevoked, Is.Zero, "every record revoked at the broker and downstream");
            Assert.That(active, Is.Zero, "every real token introspects inactive");
        });
    }

    [Test]
    public async Task A_replica_killed_mid_storm_of_10000_expiring_in_one_second_leaves_the_others_to_expire_every_one()
    {
        const int Stored = 10_000;
        await using var replicas = await Replicas.StartAsync(_cluster.ConnectionString, _trust);
        var run = Guid.NewGuid().ToString("N")[..6];
        // Room to write them all before they expire together: 10,000 records take 2–4 s here, up to 18 s on a loaded CI machine.
        var expiry = TimeProvider.System.GetUtcNowSeconds().AddSeconds(40);
        await replicas.WriteTasksAsync(Stored, i => $"exp{run}_{i:D5}", expiry, "wf-storm");
        Assert.That(TimeProvider.System.GetUtcNow(), Is.LessThan(expiry), "written before they expire together");
        var live = await replicas.LiveAsync();

        // Mid-storm: the expiry index has begun to drain but is not empty; replica 0 dies there with what it had claimed.
        await Poll.UntilAsync(async () => await replicas.LiveAsync() < live, Bound, "the replicas begin to sweep the expiring credentials");
        var liveAtKill = await replicas.LiveAsync();
        replicas.Kill(0);

        await Poll.UntilAsync(async () => await replicas.CountAsync(Stored, i => $"exp{run}_{i:D5}", c => c.Downstream?.RevokedAt is null) == 0,
            Bound, "every expired credential is delivered downstream by the survivors");
        var views = await replicas.ReadAsync(Stored, i => $"exp{run}_{i:D5}");
        var finished = TimeProvider.System.GetUtcNow();
        await TestContext.Out.WriteLineAsync(
            $"TTL storm over 3 replicas: {Stored:N0} credentials expiring at {expiry:O}; replica 0 killed with {liveAtKill:N0} of {live:N0} still in the expiry index; " +
            $"all delivered downstream {(finished - expiry).TotalSeconds:F1} s after the expiry.");
        Assert.Multiple(() =>
        {
            Assert.That(liveAtKill, Is.GreaterThan(0).And.LessThan(live), "the kill came mid-storm");
            Assert.That(views.Select(v => v.ExpiryProcessedAt), Is.All.GreaterThanOrEqualTo(expiry), "expired, and not before its time");
            Assert.That(views.Select(v => v.Downstream!.Attempts), Is.All.EqualTo(1), "delivered downstream without a failed attempt");
            Assert.That(views.Select(v => v.Downstream!.Irrevocable), Is.All.False);
        });
    }
}
