using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using CredentialBroker.Abstractions;
using CredentialBroker.Testing;

namespace CredentialBroker.Server.Tests.Deployment;

/// <summary>
/// A network partition between one replica and Redis, mid-lease (fault F9): two broker processes (the real binary,
/// production mode) on one real <c>redis-server</c>, replica 0 reaching it through a <see cref="PartitionProxy"/>. Replica
/// 0 takes a bulk revocation's lease and is cut off from Redis mid-fan-out — alive, still believing it holds the lease,
/// its commands held in the network. While cut off it fails closed (not ready, issues nothing); replica 1 takes the
/// lease when it runs out and finishes the work. When the partition heals, what replica 0 had in flight arrives late and
/// must change nothing: once all of it has reached Redis, the revocation is still completed with every count exact, every
/// record still revoked and delivered downstream, and replica 0 serves again.
/// </summary>
[NonParallelizable]
public sealed class ReplicaPartitionTests
{
    private static readonly TimeSpan Bound = Replicas.Bound;

    [Test]
    public async Task A_replica_cut_off_from_redis_mid_lease_fails_closed_the_other_finishes_and_the_heal_changes_nothing()
    {
        const int Stored = 30_000;
        const int Issued = 20;
        await using var redis = await RedisServer.StartPrivateAsync();
        await using var proxy = new PartitionProxy(new IPEndPoint(IPAddress.Loopback, redis.Port));
        using var trust = new TestTrustDomain(Replicas.TrustDomain);
        await using var replicas = await Replicas.StartAsync(redis.ConnectionString, trust, count: 0);
        await replicas.AddAsync($"127.0.0.1:{proxy.Port}");
        var workflow = "wf-partition-" + Guid.NewGuid().ToString("N")[..6];
        await replicas.WriteTasksAsync(Stored, i => $"{workflow}_{i:D6}", TimeProvider.System.GetUtcNowSeconds().AddMinutes(30), workflow);
        var tokens = new ConcurrentBag<string>();
        await Parallel.ForEachAsync(Enumerable.Range(0, Issued), async (_, _) =>
        {
            using var created = await replicas.As(0, "/orchestrator").CreateTaskAsync(Replicas.TaskBody(workflow, 900));
            var body = await created.Content.ReadAsStringAsync(CancellationToken.None);
            Assert.That(created.StatusCode, Is.EqualTo(HttpStatusCode.Created), body);
            tokens.Add((string)JsonNode.Parse(body)!["token"]!);
        });

        // Replica 0, alone, accepts the revocation and takes its lease; replica 1 starts, and both deliver; replica 0 is cut
        // off mid-fan-out. (Replica 1 must already be delivering then: that is when replica 0's late failures met successes
        // and, before the fix, replaced them — 21 to 63 records in two runs. The store contract test proves the rule itself
        // deterministically; here the interleaving is the real one, whatever it is on the day.)
        var clock = Stopwatch.StartNew();
        using var started = await replicas.As(0, "/soc").PostAsync("/v1/revocations", Api.Json($$"""{"selector": {"workflowId": "{{workflow}}"}, "reason": "partition test"}"""));
        Assert.That(started.StatusCode, Is.EqualTo(HttpStatusCode.Accepted), await started.Content.ReadAsStringAsync());
        var id = (string)(await started.JsonAsync())["id"]!;
        var holder = await Poll.ValueAsync(() => replicas.LeaseHolderAsync("bulk:" + id), h => h is not null, Bound, "replica 0 takes the revocation's lease");
        await replicas.AddAsync();
        var atPartition = await replicas.ProgressAsync(0, id);
        proxy.Partition();
        var partitionedAt = clock.Elapsed;
        var total = Stored + Issued;

        // Cut off, replica 0 is not ready and issues nothing; its twin, replica 1, issues.
        using var ready = await replicas.As(0, "/soc").GetAsync("/readyz");
        using var refused = await replicas.As(0, "/orchestrator").CreateTaskAsync(Replicas.TaskBody("wf-elsewhere", 300));
        using var issued = await replicas.As(1, "/orchestrator").CreateTaskAsync(Replicas.TaskBody("wf-elsewhere", 300));

        var done = await Poll.ValueAsync(() => replicas.ProgressAsync(1, id), p => (string)p["status"]! != "running", Bound, "replica 1 finishes the bulk revocation");
        var finishedAt = clock.Elapsed;
        var holderAfter = await replicas.LeaseHolderAsync("bulk:" + id);

        // The partition heals: what replica 0 had in flight, and what it queued while cut off (its failed deliveries, marked
        // irrevocable), arrive late; the outcome stands.
        proxy.Heal();
        await Poll.UntilAsync(() => Task.FromResult(proxy.IsDrained), Bound, "everything the partition held has reached Redis");
        await Poll.UntilAsync(async () =>
        {
            using var readiness = await replicas.As(0, "/soc").GetAsync("/readyz");
            return readiness.IsSuccessStatusCode;
        }, Bound, "replica 0 is ready again once the partition heals");
        using var reissued = await replicas.As(0, "/orchestrator").CreateTaskAsync(Replicas.TaskBody("wf-elsewhere", 300));
        var afterHeal = await replicas.ProgressAsync(0, id);
        var active = 0;
        foreach (var token in tokens)
        {
            using var introspected = await replicas.As(1, "/soc").IntrospectAsync(token);
            var body = await introspected.Content.ReadAsStringAsync();
            Assert.That(introspected.StatusCode, Is.EqualTo(HttpStatusCode.OK), body);
            active += (bool)JsonNode.Parse(body)!["active"]! ? 1 : 0;
        }

        var notRevoked = await replicas.CountAsync(Stored, i => $"{workflow}_{i:D6}", c => c.RevokedAt is null || c.Downstream?.RevokedAt is null);
        await TestContext.Out.WriteLineAsync(
            $"Partition mid-lease: replica 0 (the lease holder) cut off from Redis at {partitionedAt.TotalSeconds:F1} s with {atPartition["revoked"]} of {total:N0} revoked, {atPartition["downstreamRevoked"]} delivered downstream; " +
            $"{proxy.HeldInAll:N0} bytes held by the partition and delivered late; " +
            $"cut off, /readyz {(int)ready.StatusCode}, POST /v1/tasks {(int)refused.StatusCode} (replica 1: {(int)issued.StatusCode}); replica 1 finished at {finishedAt.TotalSeconds:F1} s " +
            $"(status {done["status"]}, revoked {done["revoked"]}, downstream {done["downstreamRevoked"]}, verified {done["verified"]}); after the heal: status {afterHeal["status"]}, " +
            $"revoked {afterHeal["revoked"]}, downstream {afterHeal["downstreamRevoked"]}, verified {afterHeal["verified"]}, replica 0 issues {(int)reissued.StatusCode}; " +
            $"{notRevoked} records not revoked, {active} of {Issued} real tokens active.");
        Assert.Multiple(() =>
        {
            Assert.That((string)atPartition["status"]!, Is.EqualTo("running"), "the partition came mid-fan-out");
            Assert.That((int)atPartition["downstreamRevoked"]!, Is.LessThan(total), "credentials were still to be delivered downstream");
            Assert.That(ready.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable), "cut off from Redis, replica 0 is not ready");
            Assert.That(refused.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable), "cut off from Redis, replica 0 issues nothing (fails closed)");
            Assert.That(issued.StatusCode, Is.EqualTo(HttpStatusCode.Created), "replica 1, connected, issues");
            Assert.That(holderAfter, Is.Not.EqualTo(holder), "the lease replica 0 held ran out and was not renewed across the partition");
            Assert.That(proxy.HeldInAll, Is.GreaterThan(0), "replica 0 had traffic in flight, which reached Redis late");
            foreach (var (when, progress) in new[] { ("when replica 1 finished", done), ("after the heal", afterHeal) })
            {
                Assert.That((string)progress["status"]!, Is.EqualTo("completed"), when);
                Assert.That((int)progress["matched"]!["total"]!, Is.EqualTo(total), when + ": every credential matched");
                Assert.That((int)progress["revoked"]!, Is.EqualTo(total), when + ": revoked, each counted once");
                Assert.That((int)progress["downstreamRevoked"]!, Is.EqualTo(total), when + ": delivered downstream, each counted once");
                Assert.That((int)progress["verified"]!, Is.EqualTo(total), when + ": verified, each counted once");
                Assert.That((int)progress["irrevocable"]! + (int)progress["failed"]!, Is.Zero, when);
            }

            Assert.That(reissued.StatusCode, Is.EqualTo(HttpStatusCode.Created), "healed, replica 0 issues again");
            Assert.That(notRevoked, Is.Zero, "every record revoked at the broker and downstream");
            Assert.That(active, Is.Zero, "every real token introspects inactive");
        });
    }
}
