namespace CredentialBroker.Redis.Tests;

/// <summary>Start-time validation of the Redis store's settings: the shard counts and the replica wait, every problem at once.</summary>
public sealed class RedisStoreOptionsTests
{
    private static IReadOnlyList<string> Failures(Action<RedisStoreOptions> change)
    {
        var options = new RedisStoreOptions { ConnectionString = "127.0.0.1:6379" };
        change(options);
        var result = new RedisStoreOptionsValidator().Validate(null, options);
        return result.Failed ? [.. result.Failures!] : [];
    }

    [Test]
    public void The_defaults_are_valid() => Assert.That(Failures(_ => { }), Is.Empty);

    [Test]
    public void The_bounds_of_every_shard_count_and_the_replica_wait_are_accepted() =>
        Assert.Multiple(() =>
        {
            Assert.That(Failures(o => (o.ExpiryIndexShards, o.SocIndexShards, o.WorkQueueShards, o.WaitForReplicas) = (1, 1, 1, 0)), Is.Empty);
            Assert.That(Failures(o => (o.ExpiryIndexShards, o.SocIndexShards, o.WorkQueueShards, o.WaitForReplicas) = (1024, 1024, 256, 16)), Is.Empty);
            Assert.That(Failures(o => o.ReplicaWaitTimeout = o.OperationTimeout - TimeSpan.FromMilliseconds(1)), Is.Empty);
        });

    [Test]
    public void Every_shard_count_and_replica_setting_out_of_bounds_is_reported_at_once()
    {
        var failures = Failures(o =>
        {
            o.ExpiryIndexShards = 0;
            o.SocIndexShards = 1025;
            o.WorkQueueShards = 257;
            o.WaitForReplicas = -1;
            o.ReplicaWaitTimeout = o.OperationTimeout;
        });

        Assert.That(failures, Is.EqualTo(new[]
        {
            "CredentialBroker:Redis:ExpiryIndexShards is 0; it must lie between 1 and 1024.",
            "CredentialBroker:Redis:SocIndexShards is 1025; it must lie between 1 and 1024.",
            "CredentialBroker:Redis:WorkQueueShards is 257; it must lie between 1 and 256.",
            "CredentialBroker:Redis:WaitForReplicas is -1; it must lie between 0 and 16.",
            "CredentialBroker:Redis:ReplicaWaitTimeout must be above zero and below OperationTimeout (00:00:02).",
        }));
    }

    [Test]
    public void A_replica_wait_of_zero_or_more_replicas_than_a_primary_could_have_is_refused() =>
        Assert.Multiple(() =>
        {
            Assert.That(Failures(o => o.ReplicaWaitTimeout = TimeSpan.Zero), Has.One.Contains("ReplicaWaitTimeout must be above zero"));
            Assert.That(Failures(o => o.WaitForReplicas = 17), Has.One.Contains("WaitForReplicas is 17"));
        });
}
