using CredentialBroker.Abstractions.Soc;
using CredentialBroker.Abstractions.Storage;
using CredentialBroker.Abstractions.Tasks;
using CredentialBroker.Core.Tasks;
using CredentialBroker.EmbeddedStore;
using CredentialBroker.Soc;

namespace CredentialBroker.Core.Tests.Soc;

public sealed class SelectorMatchTests
{
    private static readonly DateTimeOffset T = new(2026, 11, 28, 10, 0, 0, TimeSpan.Zero);

    // task token (agent) → access token (agent, payments) and delegated (sub) → access token (sub, ledger)
    private static TaskView View(DateTimeOffset? revokedDelegated = null) => new(
        new TaskRecord("tsk_1", "spiffe://a.example/agents/bot", new WorkflowRef("wf", null, null), [], null, null, 2, [], "spiffe://a.example/orchestrator", T, T.AddMinutes(10), TaskState.Running, T, null),
        [
            new("root", "tsk_1", CredentialKind.Task, null, "spiffe://a.example/agents/bot", T, T.AddMinutes(10)),
            new("at1", "tsk_1", CredentialKind.AccessToken, "root", "spiffe://a.example/agents/bot", T, T.AddMinutes(5), Audience: "postgres://payments"),
            new("del", "tsk_1", CredentialKind.Delegated, "root", "spiffe://a.example/agents/sub", T, T.AddMinutes(10), RevokedAt: revokedDelegated),
            new("at2", "tsk_1", CredentialKind.AccessToken, "del", "spiffe://a.example/agents/sub", T, T.AddMinutes(5), Audience: "https://ledger"),
        ]);

    private static string[] Jtis(IEnumerable<CredentialRecord> credentials) => [.. credentials.Select(c => c.Jti).Order()];

    [Test]
    public void A_match_brings_its_live_descendants_and_the_roots_cover_them()
    {
        var (matched, roots) = SelectorMatch.InTask(new RevocationSelector(Workload: "spiffe://a.example/agents/sub"), View(), T.AddMinutes(1), liveOnly: true);
        var (all, allRoots) = SelectorMatch.InTask(new RevocationSelector(Workload: "spiffe://a.example/agents/bot"), View(), T.AddMinutes(1), liveOnly: true);

        Assert.Multiple(() =>
        {
            Assert.That(Jtis(matched), Is.EqualTo(new[] { "at2", "del" }));
            Assert.That(Jtis(roots), Is.EqualTo(new[] { "del" }));
            Assert.That(Jtis(all), Is.EqualTo(new[] { "at1", "at2", "del", "root" }), "the sub-agent's authority derives from the agent's");
            Assert.That(Jtis(allRoots), Is.EqualTo(new[] { "root" }));
        });
    }

    [Test]
    public void Derived_from_selects_one_subtree_and_a_resource_one_credential()
    {
        var (subtree, _) = SelectorMatch.InTask(new RevocationSelector(DerivedFrom: "del"), View(), T.AddMinutes(1), liveOnly: true);
        var (resource, _) = SelectorMatch.InTask(new RevocationSelector(Resource: "postgres://payments"), View(), T.AddMinutes(1), liveOnly: true);
        var (none, _) = SelectorMatch.InTask(new RevocationSelector(DerivedFrom: "unknown"), View(), T.AddMinutes(1), liveOnly: true);

        Assert.Multiple(() =>
        {
            Assert.That(Jtis(subtree), Is.EqualTo(new[] { "at2", "del" }));
            Assert.That(Jtis(resource), Is.EqualTo(new[] { "at1" }));
            Assert.That(none, Is.Empty);
        });
    }

    [Test]
    public void Only_credentials_live_at_the_cut_match_so_a_repeated_fan_out_matches_the_same()
    {
        var cut = T.AddMinutes(1);
        var before = SelectorMatch.InTask(new RevocationSelector(Workload: "spiffe://a.example/agents/sub"), View(revokedDelegated: cut.AddSeconds(-10)), cut, liveOnly: true).Matched;
        var atCut = SelectorMatch.InTask(new RevocationSelector(Workload: "spiffe://a.example/agents/sub"), View(revokedDelegated: cut.AddSeconds(2)), cut, liveOnly: true).Matched;
        var afterExpiry = SelectorMatch.InTask(new RevocationSelector(Workload: "spiffe://a.example/agents/sub"), View(), T.AddMinutes(6), liveOnly: true).Matched;

        Assert.Multiple(() =>
        {
            Assert.That(Jtis(before), Is.EqualTo(new[] { "at2" }), "revoked before the cut: not this revocation's");
            Assert.That(Jtis(atCut), Is.EqualTo(new[] { "at2", "del" }), "revoked after the cut (by this very revocation): still matched");
            Assert.That(Jtis(afterExpiry), Is.EqualTo(new[] { "del" }), "the access token had expired");
        });
    }
}
