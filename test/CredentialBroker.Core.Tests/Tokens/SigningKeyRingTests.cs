using CredentialBroker.Core.Tokens;

namespace CredentialBroker.Core.Tests.Tokens;

/// <summary>Rotation on a schedule: published before it signs, kept until everything it signed has expired.</summary>
public sealed class SigningKeyRingTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 28, 9, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Lead = TimeSpan.FromHours(1);
    private static readonly TimeSpan Retire = TimeSpan.FromMinutes(15) + TimeSpan.FromSeconds(30);

    private readonly SigningKey _first = SigningKey.Generate("k1");
    private readonly SigningKey _second = new(System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256), "k2", T0.AddHours(3));
    private readonly SigningKeyRing _ring;

    public SigningKeyRingTests() => _ring = new SigningKeyRing([_second, _first], Lead, Retire);

    private string[] Published(DateTimeOffset at) => [.. _ring.PublishedAt(at).Select(k => k.Kid)];

    [Test]
    public void A_scheduled_key_is_published_its_lead_before_it_signs_and_not_earlier()
    {
        Assert.Multiple(() =>
        {
            Assert.That(Published(T0.AddHours(2).AddSeconds(-1)), Is.EqualTo(new[] { "k1" }));
            Assert.That(Published(T0.AddHours(2)), Is.EquivalentTo(new[] { "k1", "k2" }));
            Assert.That(_ring.ActiveAt(T0.AddHours(2)).KeyId, Is.EqualTo("k1"), "published, not yet signing");
        });
    }

    [Test]
    public void The_scheduled_key_signs_from_its_not_before()
    {
        Assert.Multiple(() =>
        {
            Assert.That(_ring.ActiveAt(T0.AddHours(3).AddTicks(-1)).KeyId, Is.EqualTo("k1"));
            Assert.That(_ring.ActiveAt(T0.AddHours(3)).KeyId, Is.EqualTo("k2"));
        });
    }

    [Test]
    public void The_old_key_stays_published_and_verifying_until_its_last_token_has_expired()
    {
        var switchover = T0.AddHours(3);

        Assert.Multiple(() =>
        {
            Assert.That(Published(switchover + Retire - TimeSpan.FromTicks(1)), Is.EquivalentTo(new[] { "k1", "k2" }));
            Assert.That(_ring.FindVerificationKey("k1", switchover + Retire - TimeSpan.FromTicks(1)), Is.Not.Null);
            Assert.That(Published(switchover + Retire), Is.EqualTo(new[] { "k2" }));
            Assert.That(_ring.FindVerificationKey("k1", switchover + Retire), Is.Null);
            Assert.That(_ring.FindVerificationKey("k2", switchover + Retire), Is.Not.Null);
        });
    }

    [Test]
    public void A_published_key_verifies_even_before_it_signs_so_a_replica_with_a_fast_clock_causes_no_rejects() =>
        Assert.That(_ring.FindVerificationKey("k2", T0.AddHours(2).AddMinutes(59)), Is.Not.Null);

    [Test]
    public void Unknown_or_unpublished_key_ids_find_nothing()
    {
        Assert.Multiple(() =>
        {
            Assert.That(_ring.FindVerificationKey("k3", T0), Is.Null);
            Assert.That(_ring.FindVerificationKey(null, T0), Is.Null);
            Assert.That(_ring.FindVerificationKey("k2", T0), Is.Null, "not yet published");
        });
    }

    [Test]
    public void Keys_must_have_distinct_ids_and_start_times()
    {
        Assert.Multiple(() =>
        {
            Assert.That(() => new SigningKeyRing([SigningKey.Generate("same"), SigningKey.Generate("same")], Lead, Retire), Throws.ArgumentException);
            Assert.That(() => new SigningKeyRing([_second, Scheduled("k3", T0.AddHours(3))], Lead, Retire), Throws.ArgumentException);
            Assert.That(() => new SigningKeyRing([_second, Scheduled("k3", T0.AddHours(4))], Lead, Retire), Throws.Nothing);
        });
    }

    [Test]
    public void Among_unscheduled_keys_the_first_listed_signs_and_the_others_verify_until_a_scheduled_key_retires_them()
    {
        var older = SigningKey.Generate("k0");
        var ring = new SigningKeyRing([_first, older, _second], Lead, Retire);

        Assert.Multiple(() =>
        {
            Assert.That(ring.ActiveAt(T0).KeyId, Is.EqualTo("k1"));
            Assert.That(ring.FindVerificationKey("k0", T0), Is.Not.Null);
            Assert.That(ring.FindVerificationKey("k0", T0.AddHours(3) + Retire - TimeSpan.FromSeconds(1)), Is.Not.Null);
            Assert.That(ring.FindVerificationKey("k0", T0.AddHours(3) + Retire), Is.Null);
        });
    }

    private static SigningKey Scheduled(string keyId, DateTimeOffset notBefore) =>
        new(System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256), keyId, notBefore);
}
