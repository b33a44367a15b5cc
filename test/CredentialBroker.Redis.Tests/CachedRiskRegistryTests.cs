using CredentialBroker.Abstractions.Policy;
using CredentialBroker.EmbeddedStore;
using Microsoft.Extensions.Options;

namespace CredentialBroker.Redis.Tests;

/// <summary>The risk levels' in-process cache: stale until its refresh on other replicas, current at once on the one that set a level.</summary>
public sealed class CachedRiskRegistryTests : IAsyncDisposable
{
    private static readonly DateTimeOffset At = new(2026, 11, 28, 9, 0, 0, 123, TimeSpan.Zero);
    private readonly StoreFactory _factory = new();

    public ValueTask DisposeAsync() => _factory.DisposeAsync();

    private CachedRiskRegistry Replica() => new(new RedisRiskRegistry(_factory.Context));

    private static RiskEntry Entry(RiskSubjectKind kind, string id, RiskLevel level) => new(kind, id, level, "because", "spiffe://a.example/soc", At);

    [Test]
    public async Task A_cached_replica_sees_a_level_another_replica_set_once_it_refreshes()
    {
        _factory.Create(new Microsoft.Extensions.Time.Testing.FakeTimeProvider(), RedisFixture.Server.ConnectionString);
        var here = Replica();
        var other = Replica();
        var before = await other.GetAsync(["spiffe://a.example/agent"], "wf", CancellationToken.None); // loads its snapshot
        await here.SetAsync(Entry(RiskSubjectKind.Workload, "spiffe://a.example/agent", RiskLevel.Critical), CancellationToken.None);
        var stale = await other.GetAsync(["spiffe://a.example/agent"], "wf", CancellationToken.None);
        var atOnce = await here.GetAsync(["spiffe://a.example/agent"], "wf", CancellationToken.None);
        await other.RefreshAsync(CancellationToken.None);
        var refreshed = await other.GetAsync(["spiffe://a.example/agent"], "wf", CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(before.Of("spiffe://a.example/agent"), Is.EqualTo(RiskLevel.None));
            Assert.That(stale.Of("spiffe://a.example/agent"), Is.EqualTo(RiskLevel.None), "until the next refresh (250 ms in the broker)");
            Assert.That(atOnce.Of("spiffe://a.example/agent"), Is.EqualTo(RiskLevel.Critical), "the replica that set it, at once");
            Assert.That(refreshed.Of("spiffe://a.example/agent"), Is.EqualTo(RiskLevel.Critical));
        });
    }
}
