using CredentialBroker.Abstractions.Policy;
using CredentialBroker.EmbeddedStore;
using Microsoft.Extensions.Options;

namespace CredentialBroker.Redis.Tests;

/// <summary>The risk registry contract, for the embedded registry, the Redis one (on a server and on a cluster), and the Redis one behind its in-process cache.</summary>
[TestFixture(StoreKind.Embedded, false)]
[TestFixture(StoreKind.Redis, false)]
[TestFixture(StoreKind.Redis, true)]
[TestFixture(StoreKind.RedisCluster, false)]
public sealed class RiskRegistryContractTests(StoreKind kind, bool cached) : IAsyncDisposable
{
    private static readonly DateTimeOffset At = new(2026, 11, 28, 9, 0, 0, 123, TimeSpan.Zero);
    private readonly StoreFactory _factory = new();
    private IRiskRegistry _registry = null!;

    [SetUp]
    public async Task SetUp()
    {
        if (kind == StoreKind.Embedded)
        {
            _registry = new InMemoryRiskRegistry();
            return;
        }

        await _factory.CreateAsync(kind, new Microsoft.Extensions.Time.Testing.FakeTimeProvider());
        var redis = new RedisRiskRegistry(_factory.Context);
        _registry = cached ? new CachedRiskRegistry(redis) : redis;
    }

    public ValueTask DisposeAsync() => _factory.DisposeAsync();

    private static RiskEntry Entry(RiskSubjectKind kind, string id, RiskLevel level) => new(kind, id, level, "because\r\nreasons", "spiffe://a.example/soc", At);

    [Test]
    public async Task Unset_levels_are_none()
    {
        var facts = await _registry.GetAsync(["spiffe://a.example/agent"], "wf", CancellationToken.None);
        Assert.Multiple(() =>
        {
            Assert.That(facts.Of("spiffe://a.example/agent"), Is.EqualTo(RiskLevel.None));
            Assert.That(facts.Workflow, Is.EqualTo(RiskLevel.None));
        });
    }

    [Test]
    public async Task Set_levels_are_read_back_per_workload_and_workflow_and_listed()
    {
        await _registry.SetAsync(Entry(RiskSubjectKind.Workload, "spiffe://a.example/agent", RiskLevel.High), CancellationToken.None);
        await _registry.SetAsync(Entry(RiskSubjectKind.Workflow, "wf", RiskLevel.Medium), CancellationToken.None);

        var facts = await _registry.GetAsync(["spiffe://a.example/agent", "spiffe://a.example/other"], "wf", CancellationToken.None);
        var listed = await _registry.ListAsync(CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(facts.Of("spiffe://a.example/agent"), Is.EqualTo(RiskLevel.High));
            Assert.That(facts.Of("spiffe://a.example/other"), Is.EqualTo(RiskLevel.None));
            Assert.That(facts.Workflow, Is.EqualTo(RiskLevel.Medium));
            Assert.That(listed, Is.EqualTo(new[]
            {
                Entry(RiskSubjectKind.Workload, "spiffe://a.example/agent", RiskLevel.High),
                Entry(RiskSubjectKind.Workflow, "wf", RiskLevel.Medium),
            }));
        });
    }

    [Test]
    public async Task Setting_none_clears_a_level()
    {
        await _registry.SetAsync(Entry(RiskSubjectKind.Workload, "spiffe://a.example/agent", RiskLevel.Critical), CancellationToken.None);
        await _registry.SetAsync(Entry(RiskSubjectKind.Workload, "spiffe://a.example/agent", RiskLevel.None), CancellationToken.None);

        Assert.Multiple(async () =>
        {
            Assert.That((await _registry.GetAsync(["spiffe://a.example/agent"], "wf", CancellationToken.None)).Of("spiffe://a.example/agent"), Is.EqualTo(RiskLevel.None));
            Assert.That(await _registry.ListAsync(CancellationToken.None), Is.Empty);
        });
    }
}
