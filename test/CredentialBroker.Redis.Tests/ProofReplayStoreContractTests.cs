using CredentialBroker.Abstractions;
using CredentialBroker.Abstractions.Storage;
using Microsoft.Extensions.Time.Testing;

namespace CredentialBroker.Redis.Tests;

/// <summary>The DPoP replay store's contract, against the embedded store, a real redis-server and a real Redis Cluster.</summary>
[TestFixture(StoreKind.Embedded)]
[TestFixture(StoreKind.Redis)]
[TestFixture(StoreKind.RedisCluster)]
public sealed class ProofReplayStoreContractTests(StoreKind kind) : IAsyncDisposable
{
    private readonly FakeTimeProvider _time = new(TimeProvider.System.GetUtcNowSeconds());
    private readonly StoreFactory _factory = new();
    private IProofReplayStore _proofs = null!;

    [SetUp]
    public async Task SetUp()
    {
        await _factory.CreateAsync(kind, _time);
        _proofs = _factory.Proofs;
    }

    public ValueTask DisposeAsync() => _factory.DisposeAsync();

    private static string NewKey() => Guid.NewGuid().ToString("N");

    private ValueTask<ProofAcceptance> AcceptAsync(string key, string? nonce = null) =>
        _proofs.AcceptProofAsync(key, nonce, _time.GetUtcNow().AddMinutes(1), CancellationToken.None);

    [Test]
    public async Task A_proof_is_accepted_once()
    {
        var key = NewKey();

        Assert.Multiple(async () =>
        {
            Assert.That(await AcceptAsync(key), Is.EqualTo(ProofAcceptance.Accepted));
            Assert.That(await AcceptAsync(key), Is.EqualTo(ProofAcceptance.Replayed));
            Assert.That(await AcceptAsync(NewKey()), Is.EqualTo(ProofAcceptance.Accepted));
        });
    }

    [Test]
    public async Task Of_many_concurrent_uses_of_one_proof_exactly_one_is_accepted()
    {
        var key = NewKey();
        var outcomes = await Task.WhenAll(Enumerable.Range(0, 32).Select(_ => AcceptAsync(key).AsTask()));
        Assert.That(outcomes.Count(o => o == ProofAcceptance.Accepted), Is.EqualTo(1));
    }

    [Test]
    public async Task Only_a_recorded_unexpired_nonce_passes_and_a_proof_refused_for_its_nonce_is_not_remembered()
    {
        var key = NewKey();
        var nonce = NewKey();
        var unknown = await AcceptAsync(key, nonce);
        await _proofs.AddNonceAsync(nonce, _time.GetUtcNow().AddMinutes(5), CancellationToken.None);
        var known = await AcceptAsync(key, nonce);

        Assert.Multiple(() =>
        {
            Assert.That(unknown, Is.EqualTo(ProofAcceptance.UnknownNonce));
            Assert.That(known, Is.EqualTo(ProofAcceptance.Accepted), "the key was not burnt by the refusal");
        });
    }
}
