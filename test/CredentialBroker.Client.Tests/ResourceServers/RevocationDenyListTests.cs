using CredentialBroker.Client.ResourceServers;

namespace CredentialBroker.Client.Tests.ResourceServers;

/// <summary>Deny-list entries live until the token's expiry plus skew, never less.</summary>
public sealed class RevocationDenyListTests
{
    private static readonly DateTimeOffset Exp = new(2026, 11, 28, 10, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Skew = TimeSpan.FromSeconds(30);
    private readonly RevocationDenyList _list = new(Skew);

    [Test]
    public void An_entry_survives_pruning_until_exp_plus_skew_and_goes_after()
    {
        _list.Add("jti-1", Exp);

        var early = _list.Prune(Exp + Skew - TimeSpan.FromTicks(1));
        var keptUntilThen = _list.Contains("jti-1");
        var late = _list.Prune(Exp + Skew);

        Assert.Multiple(() =>
        {
            Assert.That(early, Is.Zero);
            Assert.That(keptUntilThen, Is.True);
            Assert.That(late, Is.EqualTo(1));
            Assert.That(_list.Contains("jti-1"), Is.False);
        });
    }

    [Test]
    public void Adding_twice_keeps_the_later_expiry()
    {
        _list.Add("jti-1", Exp.AddMinutes(5));
        _list.Add("jti-1", Exp);

        _list.Prune(Exp + Skew);

        Assert.Multiple(() =>
        {
            Assert.That(_list.Contains("jti-1"), Is.True);
            Assert.That(_list.Contains("jti-2"), Is.False);
            Assert.That(_list.Count, Is.EqualTo(1));
        });
    }

    [Test]
    public void Many_entries_are_all_kept_there_is_no_cap()
    {
        for (var i = 0; i < 100_000; i++)
        {
            _list.Add("jti-" + i, Exp);
        }

        Assert.Multiple(() =>
        {
            Assert.That(_list.Count, Is.EqualTo(100_000));
            Assert.That(_list.Contains("jti-0"), Is.True);
        });
    }
}
