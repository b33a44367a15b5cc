using CredentialBroker.Abstractions;
using CredentialBroker.Abstractions.Soc;
using CredentialBroker.Abstractions.Storage;
using CredentialBroker.Abstractions.Tasks;
using CredentialBroker.Core.Tasks;
using CredentialBroker.EmbeddedStore;
using CredentialBroker.Soc;

namespace CredentialBroker.Core.Tests.Soc;

public sealed class SocRulesTests
{
    private static readonly DateTimeOffset T = new(2026, 11, 28, 10, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(15);

    // A rule acts for MaxTaskTtl + ClockSkew: 15 minutes here.
    private static SocRules NewRules() => new(Microsoft.Extensions.Options.Options.Create(new CredentialBrokerOptions { MaxTaskTtl = Window, ClockSkew = TimeSpan.Zero }));

    private static TaskRecord Task(string agent, string workflow) => new("tsk_1", agent, new WorkflowRef(workflow, null, null), [], new TaskApproval("CHG-1", "alice", T), null, 2, [],
        "spiffe://a.example/orchestrator", T.AddMinutes(-1), T.AddMinutes(9), TaskState.Running, T, null);

    private static CredentialRecord Credential(string holder, DateTimeOffset issuedAt) => new("j1", "tsk_1", CredentialKind.Task, null, holder, issuedAt, issuedAt.AddMinutes(10));

    private static BulkRevocation Revocation(RevocationSelector selector, bool quarantine = false) =>
        new("rev_1", selector, "why", null, quarantine, "spiffe://a.example/soc", T, BulkRevocationStatus.Running, null, MatchCounts.None, 0, 0, 0, 0, 0);

    [Test]
    public void A_revocation_in_force_kills_what_it_selects_issued_up_to_its_request_and_nothing_else()
    {
        var rules = NewRules();
        rules.Apply(Revocation(new RevocationSelector(Workload: "spiffe://a.example/agents/", WorkflowId: "wf-1")));
        var agent = "spiffe://a.example/agents/bot";

        Assert.Multiple(() =>
        {
            Assert.That(rules.RevokedBy(new CredentialLookup(Credential(agent, T.AddSeconds(-30)), Task(agent, "wf-1"), []), T.AddSeconds(1)), Is.Not.Null);
            Assert.That(rules.RevokedBy(new CredentialLookup(Credential(agent, T), Task(agent, "wf-1"), []), T.AddSeconds(1)), Is.Not.Null, "same second as the request");
            Assert.That(rules.RevokedBy(new CredentialLookup(Credential(agent, T.AddSeconds(1)), Task(agent, "wf-1"), []), T.AddSeconds(2)), Is.Null, "issued after the request");
            Assert.That(rules.RevokedBy(new CredentialLookup(Credential(agent, T.AddSeconds(-30)), Task(agent, "wf-2"), []), T.AddSeconds(1)), Is.Null, "other workflow");
            Assert.That(rules.RevokedBy(new CredentialLookup(Credential("spiffe://a.example/other/bot", T.AddSeconds(-30)), Task(agent, "wf-1"), []), T.AddSeconds(1)), Is.Null, "other workload");
            Assert.That(rules.RevokedBy(new CredentialLookup(Credential(agent, T.AddSeconds(-30)), Task(agent, "wf-1"), []), T + Window), Is.Null, "the rule has outlived every credential it could select");
        });
    }

    [Test]
    public void A_rule_kills_every_descendant_of_what_it_selects_even_those_issued_after_the_request()
    {
        var agent = "spiffe://a.example/agents/bot";
        var subAgent = "spiffe://a.example/agents/sub";
        var task = Task(agent, "wf-1");
        var taskToken = Credential(agent, T.AddSeconds(-30));
        var delegated = new CredentialRecord("d1", "tsk_1", CredentialKind.Delegated, "j1", subAgent, T.AddSeconds(-20), T.AddMinutes(5), Depth: 1);
        var access = new CredentialRecord("a1", "tsk_1", CredentialKind.AccessToken, "d1", subAgent, T.AddSeconds(5), T.AddMinutes(5), Audience: "https://ledger.example", Depth: 1);
        var byWorkload = NewRules();
        byWorkload.Apply(Revocation(new RevocationSelector(Workload: agent)));
        var bySubtree = NewRules();
        bySubtree.Apply(Revocation(new RevocationSelector(DerivedFrom: "d1")));
        var bySubAgentsOwnResource = NewRules();
        bySubAgentsOwnResource.Apply(Revocation(new RevocationSelector(Resource: "https://ledger.example")));
        var now = T.AddSeconds(10);

        Assert.Multiple(() =>
        {
            Assert.That(byWorkload.RevokedBy(new CredentialLookup(delegated, task, [taskToken]), now), Is.Not.Null, "held by another workload, derived from a selected one");
            Assert.That(byWorkload.RevokedBy(new CredentialLookup(access, task, [taskToken, delegated]), now), Is.Not.Null, "issued after the request, below a selected ancestor");
            Assert.That(bySubtree.RevokedBy(new CredentialLookup(delegated, task, [taskToken]), now), Is.Not.Null, "the subtree's root");
            Assert.That(bySubtree.RevokedBy(new CredentialLookup(access, task, [taskToken, delegated]), now), Is.Not.Null, "below the root");
            Assert.That(bySubtree.RevokedBy(new CredentialLookup(taskToken, task, []), now), Is.Null, "above the root");
            Assert.That(bySubAgentsOwnResource.RevokedBy(new CredentialLookup(access, task, [taskToken, delegated]), now), Is.Null, "issued after the request and selected only by itself");
        });
    }

    [Test]
    public void A_quarantine_holds_its_workloads_until_lifted()
    {
        var rules = NewRules();
        var revocation = Revocation(new RevocationSelector(Workload: "spiffe://a.example/agents/"), quarantine: true);
        rules.Apply(revocation);
        var held = rules.QuarantineOf("spiffe://a.example/agents/bot");
        var other = rules.QuarantineOf("spiffe://a.example/orchestrator");
        rules.Apply(revocation with { QuarantineLiftedAt = T.AddMinutes(1), QuarantineLiftedBy = "spiffe://a.example/soc" });

        Assert.Multiple(() =>
        {
            Assert.That(held?.Id, Is.EqualTo("rev_1"));
            Assert.That(other, Is.Null);
            Assert.That(rules.QuarantineOf("spiffe://a.example/agents/bot"), Is.Null);
        });
    }

    [Test]
    public void A_refresh_keeps_what_this_replica_applied_after_the_read_began_and_drops_the_rest()
    {
        var rules = NewRules();
        var early = Revocation(new RevocationSelector(Workload: "spiffe://a.example/agents/a")) with { Id = "rev_early" };
        rules.Apply(early);
        var version = rules.BeginRead();
        var late = Revocation(new RevocationSelector(Workload: "spiffe://a.example/agents/b")) with { Id = "rev_late" };
        rules.Apply(late);

        rules.Replace([], version);

        Assert.That(rules.Active.Select(r => r.Id), Is.EqualTo(new[] { "rev_late" }));
    }
}
