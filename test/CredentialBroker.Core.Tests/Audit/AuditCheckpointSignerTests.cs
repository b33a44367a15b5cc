using System.Security.Cryptography;
using CredentialBroker.Abstractions;
using CredentialBroker.Abstractions.Audit;
using CredentialBroker.Core.Audit;
using CredentialBroker.Core.Tokens;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace CredentialBroker.Core.Tests.Audit;

/// <summary>Checkpoints outlive the tokens a key signs: they verify with every key the ring holds, retired ones included.</summary>
public sealed class AuditCheckpointSignerTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 1, 9, 0, 0, TimeSpan.Zero);
    private static readonly IReadOnlyList<AuditHead> Heads = [new(0, 7, new string('a', 40))];
    private readonly FakeTimeProvider _time = new(T0);
    private readonly SigningKey _first = SigningKey.Generate("k1");
    private readonly SigningKey _second = new(ECDsa.Create(ECCurve.NamedCurves.nistP256), "k2", T0.AddHours(3));

    private AuditCheckpointSigner Signer(params SigningKey[] keys) => Signer("https://broker.example", keys);

    private AuditCheckpointSigner Signer(string issuer, params SigningKey[] keys) =>
        new(new SigningKeyRing(keys, TimeSpan.FromHours(1), TimeSpan.FromMinutes(15)), Options.Create(new CredentialBrokerOptions { Issuer = issuer }), _time);

    [Test]
    public async Task A_checkpoint_signed_before_the_issuer_changed_still_verifies_with_the_same_key_and_not_with_another()
    {
        var before = Signer("http://127.0.0.1:8081", _first).Sign(1, Heads, T0);
        var afterTheMove = Signer("https://broker.example", _first);
        var anotherKey = Signer("https://broker.example", SigningKey.Generate("k1"));

        Assert.Multiple(async () =>
        {
            Assert.That(await afterTheMove.VerifyAsync(before), Is.True, "the key makes it the broker's, not the name");
            Assert.That(await anotherKey.VerifyAsync(before), Is.False);
        });
    }

    [Test]
    public async Task A_checkpoint_signed_by_a_key_since_retired_still_verifies_while_the_ring_holds_the_key()
    {
        var signer = Signer(_second, _first);
        var checkpoint = signer.Sign(1, Heads, T0);
        _time.Advance(TimeSpan.FromDays(2)); // k2 signs from T0+3h; k1 left the JWKS 15 min later

        Assert.Multiple(async () =>
        {
            Assert.That(await signer.VerifyAsync(checkpoint), Is.True);
            Assert.That(await signer.VerifyAsync(checkpoint with { Seq = 2 }), Is.False, "the signed number must match");
            Assert.That(await signer.VerifyAsync(checkpoint with { Heads = [new(0, 8, new string('a', 40))] }), Is.False, "the signed heads must match");
        });
    }

    [Test]
    public async Task A_checkpoint_signed_by_a_key_the_ring_does_not_hold_is_refused_and_one_it_holds_verifies()
    {
        var stranger = Signer(SigningKey.Generate("k1")).Sign(1, Heads, T0); // same kid, another key
        var own = Signer(_first).Sign(1, Heads, T0);
        var signer = Signer(_first);

        Assert.Multiple(async () =>
        {
            Assert.That(await signer.VerifyAsync(stranger), Is.False);
            Assert.That(await signer.VerifyAsync(own), Is.True);
        });
    }
}
