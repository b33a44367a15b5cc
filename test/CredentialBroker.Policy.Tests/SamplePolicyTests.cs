using CredentialBroker.Policy.Testing;

using CredentialBroker.Testing;

namespace CredentialBroker.Policy.Tests;

/// <summary>The worked examples in samples/policies (docs/policy.md) pass their own test cases; a wrong expectation fails.</summary>
public sealed class SamplePolicyTests
{
    private static readonly string Samples = Repository.Path("samples", "policies");

    [Test]
    public void The_sample_policy_passes_every_case()
    {
        var results = PolicyTestRunner.RunDirectory(Samples);

        Assert.Multiple(() =>
        {
            Assert.That(results, Has.Count.GreaterThanOrEqualTo(10));
            Assert.That(results.Where(r => !r.Passed).Select(r => $"{r.Name}: {r.Message}"), Is.Empty);
        });
    }

    [Test]
    public void A_case_with_a_wrong_expectation_fails_with_what_differed()
    {
        var policy = PolicyLoader.Load(Samples);
        var results = PolicyTestRunner.Run(policy, "wrong_test.yaml", """
            cases:
              - name: claims a sandboxed write is allowed
                operation: exchange
                caller: {id: spiffe://corp.example/agents/sandbox/bot, roles: [agent]}
                task: {agent: spiffe://corp.example/agents/sandbox/bot}
                request: {tool: http.post, destination: https://wiki.corp.example, actions: [write]}
                expect: allow
              - name: expects the wrong rule
                caller: {id: spiffe://corp.example/agents/bot}
                expect: allow
                rule: some-other-rule
              - name: no expectation
            """);

        Assert.Multiple(() =>
        {
            Assert.That(results.Select(r => r.Passed), Is.All.False);
            Assert.That(results[0].Message, Does.Contain("expected allow, got deny by rule 'sandbox-read-only'"));
            Assert.That(results[1].Message, Does.Contain("expected rule 'some-other-rule', got 'allow-corp'"));
            Assert.That(results[2].Message, Does.Contain("'expect' must be allow or deny"));
        });
    }
}
