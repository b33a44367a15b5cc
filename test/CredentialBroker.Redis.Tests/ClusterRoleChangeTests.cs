using System.Diagnostics;
using System.Globalization;
using CredentialBroker.Abstractions;
using CredentialBroker.Abstractions.Storage;
using CredentialBroker.Abstractions.Tasks;
using CredentialBroker.Core;
using CredentialBroker.Testing;
using Microsoft.Extensions.Time.Testing;

namespace CredentialBroker.Redis.Tests;

/// <summary>
/// A replica that takes over from its primary (<c>CLUSTER FAILOVER</c>: no connection fails, no node dies) on a cluster
/// with <c>WaitForReplicas</c> 1. The store's writes move to the promoted node at once (its first write there is
/// redirected), but their replica confirmation goes through a connection of its own, which sends nothing a redirect could
/// correct and kept the promoted node for a replica — refusing the confirmation, so every such write failed closed —
/// until the client's periodic role check, a minute later. Confirmations must follow within seconds.
/// </summary>
[NonParallelizable]
public sealed class ClusterRoleChangeTests
{
    private const int Writes = 30;
    private string? _lastFailure;
    private static readonly DateTimeOffset Start = TimeProvider.System.GetUtcNowSeconds();
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    [Test]
    public async Task After_a_replica_takes_over_its_primary_confirmed_writes_to_its_slots_succeed_again_within_seconds()
    {
        await using var cluster = await RedisCluster.StartAsync();
        await using var factory = new StoreFactory();
        var store = factory.Create(new FakeTimeProvider(Start), cluster.ConnectionString, o =>
        {
            o.WaitForReplicas = 1;
            o.ReplicaWaitTimeout = TimeSpan.FromSeconds(2);
            o.OperationTimeout = TimeSpan.FromSeconds(5);
        });
        var before = await CreateAsync(store);

        // The replica of a primary other than the node the connection string names: the client learned of both through it.
        var roles = await cluster.OnEveryNodeAsync("ROLE");
        var replica = Enumerable.Range(0, cluster.Nodes.Count).First(i =>
            i != 0 && roles[i].Items[0].Text == "slave" && int.Parse(roles[i].Items[2].Text!, CultureInfo.InvariantCulture) != cluster.Nodes[0].Port);
        await using (var connection = await RespConnection.ConnectAsync("127.0.0.1", cluster.Nodes[replica].Port))
        {
            Assert.That((await connection.SendAsync("CLUSTER", "FAILOVER")).IsError, Is.False);
        }

        await Poll.UntilAsync(async () => (await cluster.OnEveryNodeAsync("ROLE"))[replica].Items[0].Text == "master", Bound, "the replica is promoted");
        var promoted = Stopwatch.StartNew();
        await cluster.WaitUntilHealthyAsync(Bound);
        int after;
        try
        {
            after = await Poll.ValueAsync(() => CreateAsync(store), created => created == Writes, Bound,
                $"all of {Writes} tasks spread over the primaries are created and confirmed on a replica again");
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException($"{ex.Message} Last refusal: {_lastFailure}", ex);
        }
        await TestContext.Out.WriteLineAsync($"Confirmed writes to every primary again {promoted.Elapsed.TotalSeconds:F1} s after the promotion.");

        Assert.Multiple(() =>
        {
            Assert.That(before, Is.EqualTo(Writes), "every write is confirmed before the takeover");
            Assert.That(after, Is.EqualTo(Writes));
        });
    }

    // How many of Writes new tasks (random ids: spread over every primary) are created and confirmed.
    private async Task<int> CreateAsync(ICredentialStore store)
    {
        var created = 0;
        for (var i = 0; i < Writes; i++)
        {
            var taskId = "tsk_" + Guid.NewGuid().ToString("N");
            var task = new TaskRecord(
                taskId, "spiffe://a.example/agent", new WorkflowRef("wf", null, null), [new AuthorizationGrant("t", "postgres://x", ["read"], null)], null, null, 0, [],
                "spiffe://a.example/orchestrator", Start, Start.AddMinutes(10), TaskState.Created, Start, null);
            try
            {
                await store.CreateTaskAsync(task, new CredentialRecord("jti-" + taskId, taskId, CredentialKind.Task, null, "spiffe://a.example/agent", Start, Start.AddMinutes(10)), TestAudit.For(taskId), CancellationToken.None);
                created++;
            }
            catch (StoreUnavailableException ex)
            {
                // Failed closed: counted as not created.
                _lastFailure = ex.InnerException?.Message ?? ex.Message;
            }
        }

        return created;
    }
}
