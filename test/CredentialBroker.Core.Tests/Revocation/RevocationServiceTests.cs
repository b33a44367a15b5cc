using CredentialBroker.Abstractions.Identity;
using CredentialBroker.Abstractions.Storage;
using CredentialBroker.Core.Identity;
using CredentialBroker.Core.ProofOfPossession;
using CredentialBroker.Core.Revocation;
using CredentialBroker.EmbeddedStore;

namespace CredentialBroker.Core.Tests.Revocation;

public sealed class RevocationServiceTests
{
    private readonly CoreHarness _harness = new();

    private async Task<bool> RevokeAsync(CallerIdentity caller, string? token) =>
        await _harness.Revocation.RevokeAsync(caller, token, null, CancellationToken.None) == RevocationOutcome.Revoked;

    private async Task<bool> IsActiveAsync(string token) =>
        await _harness.Introspection.IntrospectAsync(CoreHarness.Soc, token, CancellationToken.None) is not null;

    [Test]
    public async Task The_holder_the_orchestrator_and_the_soc_may_revoke([Values("holder", "orchestrator", "soc")] string who)
    {
        var issued = await _harness.IssueAsync();
        var caller = who switch { "holder" => CoreHarness.Agent, "orchestrator" => CoreHarness.Orchestrator, _ => CoreHarness.Soc };

        var allowed = await RevokeAsync(caller, issued.Token);
        var stored = await _harness.Store.GetCredentialAsync(issued.Task!.TaskId, issued.Credential!.Jti, CancellationToken.None);

        Assert.Multiple(async () =>
        {
            Assert.That(allowed, Is.True);
            Assert.That(await IsActiveAsync(issued.Token!), Is.False);
            Assert.That(stored!.Credential.RevocationReason, Is.EqualTo(RevocationReasons.Holder));
        });
    }

    [Test]
    public async Task Someone_elses_token_is_refused_and_stays_active()
    {
        var issued = await _harness.IssueAsync();

        Assert.Multiple(async () =>
        {
            Assert.That(await RevokeAsync(CoreHarness.OtherAgent, issued.Token), Is.False);
            Assert.That(await RevokeAsync(CoreHarness.OtherOrchestrator, issued.Token), Is.False);
            Assert.That(await IsActiveAsync(issued.Token!), Is.True);
        });
    }

    [TestCase("garbage")]
    [TestCase("")]
    public async Task Garbage_is_a_quiet_success(string token) => Assert.That(await RevokeAsync(CoreHarness.Agent, token), Is.True);

    [Test]
    public async Task Revoking_twice_keeps_the_first_revocation()
    {
        var issued = await _harness.IssueAsync();
        await RevokeAsync(CoreHarness.Agent, issued.Token);
        var first = await _harness.Store.GetCredentialAsync(issued.Task!.TaskId, issued.Credential!.Jti, CancellationToken.None);
        _harness.Time.Advance(TimeSpan.FromSeconds(10));

        var again = await RevokeAsync(CoreHarness.Soc, issued.Token);
        var second = await _harness.Store.GetCredentialAsync(issued.Task.TaskId, issued.Credential.Jti, CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(again, Is.True);
            Assert.That(second!.Credential.RevokedAt, Is.EqualTo(first!.Credential.RevokedAt));
        });
    }

    [Test]
    public async Task An_expired_token_can_still_be_revoked()
    {
        var issued = await _harness.IssueAsync(CoreHarness.Draft(ttl: TimeSpan.FromMinutes(1)));
        _harness.Time.Advance(TimeSpan.FromMinutes(2));

        var allowed = await RevokeAsync(CoreHarness.Agent, issued.Token);
        var stored = await _harness.Store.GetCredentialAsync(issued.Task!.TaskId, issued.Credential!.Jti, CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(allowed, Is.True);
            Assert.That(stored!.Credential.RevokedAt, Is.Not.Null);
        });
    }

    [Test]
    public async Task Its_holder_revokes_a_key_bound_token_only_with_proof_of_the_key_its_orchestrator_by_role()
    {
        var jkt = Thumbprint('a');
        var draft = CoreHarness.Draft() with { Binding = KeyBinding.Jkt(jkt) };
        var bound = await _harness.IssueAsync(draft);
        var other = await _harness.IssueAsync(draft);

        var noProof = await _harness.Revocation.RevokeAsync(CoreHarness.Agent, bound.Token, null, CancellationToken.None);
        var otherKey = await _harness.Revocation.RevokeAsync(CoreHarness.Agent, bound.Token, new DpopProof(Thumbprint('b'), CoversToken: true), CancellationToken.None);
        var uncovered = await _harness.Revocation.RevokeAsync(CoreHarness.Agent, bound.Token, new DpopProof(jkt, CoversToken: false), CancellationToken.None);
        var stillActive = await IsActiveAsync(bound.Token!);
        var proven = await _harness.Revocation.RevokeAsync(CoreHarness.Agent, bound.Token, new DpopProof(jkt, CoversToken: true), CancellationToken.None);
        var byOrchestrator = await _harness.Revocation.RevokeAsync(CoreHarness.Orchestrator, other.Token, null, CancellationToken.None);

        Assert.Multiple(async () =>
        {
            Assert.That(noProof, Is.EqualTo(RevocationOutcome.KeyNotProven));
            Assert.That(otherKey, Is.EqualTo(RevocationOutcome.KeyNotProven));
            Assert.That(uncovered, Is.EqualTo(RevocationOutcome.ProofNotCoveringToken));
            Assert.That(stillActive, Is.True);
            Assert.That(proven, Is.EqualTo(RevocationOutcome.Revoked));
            Assert.That(await IsActiveAsync(bound.Token!), Is.False);
            Assert.That(byOrchestrator, Is.EqualTo(RevocationOutcome.Revoked));
        });
    }

    private static string Thumbprint(char fill) => new string(fill, 42) + "A";
}
