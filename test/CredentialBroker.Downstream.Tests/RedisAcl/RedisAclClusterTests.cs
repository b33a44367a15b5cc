using CredentialBroker.Downstream.Providers;
using CredentialBroker.Testing;

namespace CredentialBroker.Downstream.Tests.RedisAcl;

/// <summary>
/// The redis provider on a real Redis Cluster (three primaries, three replicas): ACLs are per node, so the user must
/// be created on, and deleted from, every one of the six.
/// </summary>
public sealed class RedisAclClusterTests : IAsyncDisposable
{
    private static RedisCluster _cluster = null!;
    private readonly RedisAclScenario _scenario = new();

    [OneTimeSetUp]
    public static async Task StartClusterAsync() => _cluster = await RedisCluster.StartAsync();

    [OneTimeTearDown]
    public static async Task StopClusterAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }
    }

    public ValueTask DisposeAsync() => _scenario.DisposeAsync();

    private static async Task<int> NodesWithUserAsync(string username) =>
        (await _cluster.OnEveryNodeAsync("ACL", "GETUSER", username)).Count(r => r.Kind == RespReplyKind.Array);

    private static async Task<List<string>> ReplicasAsync()
    {
        var replicas = new List<string>();
        foreach (var node in _cluster.Nodes)
        {
            await using var connection = await RespConnection.ConnectAsync("127.0.0.1", node.Port);
            if ((await connection.SendAsync("ROLE")).Items[0].Text == "slave")
            {
                replicas.Add(node.ConnectionString);
            }
        }

        return replicas;
    }

    [Test]
    public async Task An_issued_user_exists_on_all_six_nodes_works_on_a_replica_and_is_gone_from_all_after_revocation()
    {
        var provider = _scenario.Provider(_cluster.ConnectionString);
        var plan = provider.Plan(Secrets.NewId(), Secrets.ExpiresAt());

        var secret = await provider.IssueAsync(plan, CancellationToken.None);
        var onIssue = await NodesWithUserAsync(plan.Username!);
        var replicas = await ReplicasAsync();
        var (onReplica, auth) = await RedisAclScenario.LogInAsync(replicas[0], plan.Username!, secret.Secret);
        await using var _ = onReplica;
        var readOnReplica = await onReplica.SendAsync("READONLY");
        var before = await provider.VerifyRevokedAsync(plan, CancellationToken.None);

        await provider.RevokeAsync(plan, CancellationToken.None);

        var primaries = _cluster.Nodes.Select(n => n.ConnectionString).Except(replicas).Order(StringComparer.Ordinal);
        Assert.Multiple(async () =>
        {
            Assert.That(onIssue, Is.EqualTo(6));
            Assert.That(secret.Fields["endpoints"], Is.EqualTo(primaries), "the three primaries");
            Assert.That(auth.Text, Is.EqualTo("OK"), "AUTH works on a replica");
            Assert.That(readOnReplica.Text, Is.EqualTo("OK"));
            Assert.That(before, Is.False);
            Assert.That(await NodesWithUserAsync(plan.Username!), Is.Zero);
            await Assert.ThrowsAsync<IOException>(() => onReplica.SendAsync("PING"), "the replica closed the user's connection");
            Assert.That(await provider.VerifyRevokedAsync(plan, CancellationToken.None), Is.True);
        });
    }

    [Test]
    public async Task VerifyRevoked_is_false_while_the_user_is_left_on_a_single_replica()
    {
        var provider = _scenario.Provider(_cluster.ConnectionString);
        var plan = provider.Plan(Secrets.NewId(), Secrets.ExpiresAt());
        await provider.IssueAsync(plan, CancellationToken.None);
        await provider.RevokeAsync(plan, CancellationToken.None);
        var replica = (await ReplicasAsync())[^1];
        await using (var connection = await RedisAclScenario.ConnectAsync(replica))
        {
            await connection.SendAsync("ACL", "SETUSER", plan.Username!, "on", ">left-behind");
        }

        Assert.That(await provider.VerifyRevokedAsync(plan, CancellationToken.None), Is.False);
        await provider.RevokeAsync(plan, CancellationToken.None);
        Assert.That(await provider.VerifyRevokedAsync(plan, CancellationToken.None), Is.True);
    }

    [Test]
    public async Task A_least_privilege_admin_user_issues_and_revokes_on_every_node()
    {
        var adminName = "cb_admin_" + _scenario.Prefix;
        var connectionString = await RedisAclScenario.CreateAdminAsync(
            adminName, "admin-" + _scenario.Prefix, RedisAclScenario.AdminRules, [.. _cluster.Nodes.Select(n => n.ConnectionString)]);
        var provider = _scenario.Provider(connectionString);
        var plan = provider.Plan(Secrets.NewId(), Secrets.ExpiresAt());

        await provider.IssueAsync(plan, CancellationToken.None);
        var onIssue = await NodesWithUserAsync(plan.Username!);
        await provider.RevokeAsync(plan, CancellationToken.None);

        Assert.Multiple(async () =>
        {
            Assert.That(onIssue, Is.EqualTo(6));
            Assert.That(await NodesWithUserAsync(plan.Username!), Is.Zero);
            Assert.That(await provider.VerifyRevokedAsync(plan, CancellationToken.None), Is.True);
        });
    }

    [Test]
    public async Task An_admin_user_that_cannot_read_the_cluster_topology_issues_nothing_rather_than_on_one_node()
    {
        var adminName = "cb_admin_" + _scenario.Prefix;
        var connectionString = await RedisAclScenario.CreateAdminAsync(
            adminName, "admin-" + _scenario.Prefix, RedisAclScenario.AdminRules.Replace(" +cluster|nodes", string.Empty, StringComparison.Ordinal),
            [.. _cluster.Nodes.Select(n => n.ConnectionString)]);
        var provider = _scenario.Provider(connectionString);
        var plan = provider.Plan(Secrets.NewId(), Secrets.ExpiresAt());

        var failure = await Assert.ThrowsAsync<DownstreamException>(async () => await provider.IssueAsync(plan, CancellationToken.None));

        Assert.Multiple(async () =>
        {
            Assert.That(failure!.Transient, Is.False);
            Assert.That(failure.Message, Does.Contain("NOPERM").And.Contain("cluster|nodes"));
            Assert.That(await NodesWithUserAsync(plan.Username!), Is.Zero);
        });
    }

    [Test]
    public async Task A_node_that_serves_no_slots_gets_the_user_too_and_loses_it()
    {
        // StackExchange.Redis does not connect to discovered nodes without slots; an agent can still log in there.
        await using var empty = await RedisServer.StartPrivateAsync(
            "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "5000");
        var all = _cluster.Nodes.Append(empty).ToList();
        try
        {
            await using (var first = await RespConnection.ConnectAsync("127.0.0.1", _cluster.Nodes[0].Port))
            {
                await first.SendAsync("CLUSTER", "MEET", "127.0.0.1", empty.Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
            }

            await Poll.UntilAsync(async () =>
            {
                foreach (var node in all)
                {
                    await using var connection = await RespConnection.ConnectAsync("127.0.0.1", node.Port);
                    if (!((await connection.SendAsync("CLUSTER", "INFO")).Text ?? string.Empty).Contains("cluster_known_nodes:7", StringComparison.Ordinal))
                    {
                        return false;
                    }
                }

                return true;
            }, TimeSpan.FromSeconds(20), "all seven nodes know each other");
            var provider = _scenario.Provider(_cluster.ConnectionString);
            var plan = provider.Plan(Secrets.NewId(), Secrets.ExpiresAt());

            var secret = await provider.IssueAsync(plan, CancellationToken.None);
            var (onEmpty, auth) = await RedisAclScenario.LogInAsync(empty.ConnectionString, plan.Username!, secret.Secret);
            await using var _ = onEmpty;
            var onIssue = await NodesWithUserAsync(plan.Username!);
            await provider.RevokeAsync(plan, CancellationToken.None);
            await using var check = await RespConnection.ConnectAsync("127.0.0.1", empty.Port);
            var leftOnEmpty = await check.SendAsync("ACL", "GETUSER", plan.Username!);

            Assert.Multiple(async () =>
            {
                Assert.That(auth.Text, Is.EqualTo("OK"), "the user exists on the node without slots");
                Assert.That(onIssue, Is.EqualTo(6));
                Assert.That(leftOnEmpty.Kind, Is.EqualTo(RespReplyKind.Null));
                Assert.That(await NodesWithUserAsync(plan.Username!), Is.Zero);
                Assert.That(await provider.VerifyRevokedAsync(plan, CancellationToken.None), Is.True);
            });
        }
        finally
        {
            // Leave the cluster as it was for the other tests: six nodes, none failing.
            await using (var connection = await RespConnection.ConnectAsync("127.0.0.1", empty.Port))
            {
                var id = (await connection.SendAsync("CLUSTER", "MYID")).Text!;
                await empty.StopAsync();
                await _cluster.OnEveryNodeAsync("CLUSTER", "FORGET", id);
            }
        }
    }
}
