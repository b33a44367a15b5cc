using CredentialBroker.Abstractions.Soc;
using CredentialBroker.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace CredentialBroker.Redis.Tests;

/// <summary>The Shared Signals transmitter's side of the store contract, against the embedded store, a real redis-server and a real Redis Cluster.</summary>
[TestFixture(StoreKind.Embedded)]
[TestFixture(StoreKind.Redis)]
[TestFixture(StoreKind.RedisCluster)]
public sealed class SsfStreamStoreContractTests(StoreKind kind) : IAsyncDisposable
{
    private readonly FakeTimeProvider _time = new(TimeProvider.System.GetUtcNowSeconds());
    private readonly StoreFactory _factory = new();
    private ISsfStreamStore _ssf = null!;

    [SetUp]
    public async Task SetUp()
    {
        await _factory.CreateAsync(kind, _time);
        _ssf = _factory.Ssf;
    }

    public ValueTask DisposeAsync() => _factory.DisposeAsync();

    private static SsfPendingEvent Event(string jti) => new(jti, "set-of-" + jti);

    [Test]
    public async Task A_stream_is_saved_read_listed_replaced_and_deleted()
    {
        await _ssf.SaveStreamAsync("s1", """{"v":1}""", CancellationToken.None);
        await _ssf.SaveStreamAsync("s2", """{"v":2}""", CancellationToken.None);
        await _ssf.SaveStreamAsync("s1", """{"v":3}""", CancellationToken.None);

        var read = await _ssf.GetStreamAsync("s1", CancellationToken.None);
        var listed = await _ssf.ListStreamsAsync(CancellationToken.None);
        var deleted = await _ssf.DeleteStreamAsync("s1", CancellationToken.None);
        var deletedAgain = await _ssf.DeleteStreamAsync("s1", CancellationToken.None);

        Assert.Multiple(async () =>
        {
            Assert.That(read, Is.EqualTo("""{"v":3}"""));
            Assert.That(listed, Is.EquivalentTo(new[] { """{"v":3}""", """{"v":2}""" }));
            Assert.That(deleted, Is.True);
            Assert.That(deletedAgain, Is.False);
            Assert.That(await _ssf.GetStreamAsync("s1", CancellationToken.None), Is.Null);
            Assert.That(await _ssf.ListStreamsAsync(CancellationToken.None), Is.EqualTo(new[] { """{"v":2}""" }));
        });
    }

    [Test]
    public async Task Pending_events_keep_their_order_until_acknowledged_and_enqueueing_one_again_keeps_its_place()
    {
        await _ssf.SaveStreamAsync("s", "{}", CancellationToken.None);
        await _ssf.EnqueueAsync("s", [Event("a"), Event("b")], CancellationToken.None);
        await _ssf.EnqueueAsync("s", [Event("c"), Event("a")], CancellationToken.None);

        var all = await _ssf.ReadPendingAsync("s", 10, CancellationToken.None);
        var count = await _ssf.CountPendingAsync("s", CancellationToken.None);
        var first = await _ssf.ReadPendingAsync("s", 2, CancellationToken.None);
        var acknowledged = await _ssf.AcknowledgeAsync("s", ["b", "never-pending"], CancellationToken.None);
        var afterAck = await _ssf.ReadPendingAsync("s", 10, CancellationToken.None);
        var countAfterAck = await _ssf.CountPendingAsync("s", CancellationToken.None);
        var other = await _ssf.ReadPendingAsync("another-stream", 10, CancellationToken.None);
        var otherCount = await _ssf.CountPendingAsync("another-stream", CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(all.Select(e => e.Jti), Is.EqualTo(new[] { "a", "b", "c" }));
            Assert.That(count, Is.EqualTo(3), "an event enqueued again is counted once");
            Assert.That(countAfterAck, Is.EqualTo(2));
            Assert.That(otherCount, Is.Zero);
            Assert.That(all[0].Set, Is.EqualTo("set-of-a"));
            Assert.That(first.Select(e => e.Jti), Is.EqualTo(new[] { "a", "b" }));
            Assert.That(acknowledged, Is.EqualTo(1));
            Assert.That(afterAck.Select(e => e.Jti), Is.EqualTo(new[] { "a", "c" }));
            Assert.That(other, Is.Empty);
        });
    }

    [Test]
    public async Task Deleting_a_stream_drops_its_pending_events_and_the_feed_cursor_is_kept()
    {
        await _ssf.SaveStreamAsync("s", "{}", CancellationToken.None);
        await _ssf.EnqueueAsync("s", [Event("a")], CancellationToken.None);
        var cursorBefore = await _ssf.GetFeedCursorAsync(CancellationToken.None);
        await _ssf.SaveFeedCursorAsync("1764320000000-3", CancellationToken.None);

        await _ssf.DeleteStreamAsync("s", CancellationToken.None);

        Assert.Multiple(async () =>
        {
            Assert.That(await _ssf.ReadPendingAsync("s", 10, CancellationToken.None), Is.Empty);
            Assert.That(cursorBefore, Is.Null);
            Assert.That(await _ssf.GetFeedCursorAsync(CancellationToken.None), Is.EqualTo("1764320000000-3"));
        });
    }
}
