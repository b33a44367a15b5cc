using CredentialBroker.Abstractions.Revocation;
using CredentialBroker.Abstractions.Storage;
using CredentialBroker.EmbeddedStore;
using Microsoft.Extensions.Time.Testing;

namespace CredentialBroker.Core.Tests.Revocation;

/// <summary>Development mode's feed across a broker restart, as a resource server following it sees it.</summary>
public sealed class InMemoryRevocationFeedTests
{
    private static readonly DateTimeOffset Start = new(2026, 12, 1, 9, 0, 0, TimeSpan.Zero);

    private static RevocationEvent Revoked(string jti) => new(string.Empty, jti, "tsk_1", Start.AddMinutes(5), RevocationReasons.Holder, Start);

    [Test]
    public async Task A_follower_resuming_with_the_previous_processs_last_event_id_receives_the_restarted_brokers_revocations()
    {
        var time = new FakeTimeProvider(Start);
        var before = new InMemoryRevocationFeed(time);
        for (var i = 0; i < 50; i++)
        {
            await before.AppendAsync(Revoked($"old-{i}"), CancellationToken.None);
        }

        var lastSeen = (await before.ReadAsync(null, 100, CancellationToken.None))[^1].Id;
        time.Advance(TimeSpan.FromSeconds(1)); // the broker restarts a second later, its memory empty
        var after = new InMemoryRevocationFeed(time);
        await after.AppendAsync(Revoked("new"), CancellationToken.None);

        var resumed = await after.ReadAsync(lastSeen, 100, CancellationToken.None);
        var fromTheStart = await after.ReadAsync(null, 100, CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(resumed.Select(e => e.Jti), Is.EqualTo(new[] { "new" }), "the new process's revocation is not skipped");
            Assert.That(fromTheStart.Select(e => e.Jti), Is.EqualTo(new[] { "new" }));
            Assert.That(long.Parse(resumed[0].Id, System.Globalization.CultureInfo.InvariantCulture), Is.GreaterThan(long.Parse(lastSeen, System.Globalization.CultureInfo.InvariantCulture)));
        });
    }

    [Test]
    public async Task Within_one_process_a_follower_resumes_after_its_last_event_and_sees_nothing_twice()
    {
        var feed = new InMemoryRevocationFeed(new FakeTimeProvider(Start));
        var first = await feed.AppendAsync(Revoked("a"), CancellationToken.None);
        await feed.AppendAsync(Revoked("b"), CancellationToken.None);

        var resumed = await feed.ReadAsync(first, 100, CancellationToken.None);

        Assert.That(resumed.Select(e => e.Jti), Is.EqualTo(new[] { "b" }));
    }
}
