using CredentialBroker.Abstractions.Policy;

namespace CredentialBroker.Policy.Tests;

public sealed class PolicyEvaluationTests
{
    [Test]
    public void Nothing_is_allowed_unless_an_allow_rule_matches()
    {
        var policy = Inputs.Compile("""
            rules:
              - id: only-crm
                effect: allow
                condition: request.destination == 'https://crm.example'
            """);

        var denied = policy.Evaluate(Inputs.Exchange());
        var allowed = policy.Evaluate(Inputs.Exchange(destination: "https://crm.example"));

        Assert.Multiple(() =>
        {
            Assert.That(denied.Allowed, Is.False);
            Assert.That(denied.RuleId, Is.EqualTo(CompiledPolicy.DefaultDenyRule));
            Assert.That(denied.PolicyVersion, Is.EqualTo(policy.Version));
            Assert.That(allowed.Allowed, Is.True);
            Assert.That(allowed.RuleId, Is.EqualTo("only-crm"));
        });
    }

    [Test]
    public void A_matching_deny_wins_over_any_allow_wherever_it_stands()
    {
        var policy = Inputs.Compile("""
            rules:
              - id: allow-all
                effect: allow
                condition: "true"
              - id: no-writes
                effect: deny
                description: Writes are never allowed.
                condition: "'write' in request.actions"
            """);

        var write = policy.Evaluate(Inputs.Exchange(actions: ["read", "write"]));
        var read = policy.Evaluate(Inputs.Exchange(actions: ["read"]));

        Assert.Multiple(() =>
        {
            Assert.That(write.Allowed, Is.False);
            Assert.That(write.RuleId, Is.EqualTo("no-writes"));
            Assert.That(write.Reason, Is.EqualTo("Writes are never allowed."));
            Assert.That(read.Allowed, Is.True);
        });
    }

    [Test]
    public void Limit_rules_cap_the_ttl_of_what_is_allowed_and_allow_nothing_by_themselves()
    {
        var policy = Inputs.Compile("""
            rules:
              - id: cap-payments
                effect: limit
                condition: request.destination == 'postgres://payments'
                maxTtlSeconds: 120
              - id: cap-everything
                effect: limit
                condition: "true"
                maxTtlSeconds: 600
            """);
        var withAllow = Inputs.Compile("""
            rules:
              - id: cap-payments
                effect: limit
                condition: request.destination == 'postgres://payments'
                maxTtlSeconds: 120
              - id: allow-short
                effect: allow
                condition: "true"
                maxTtlSeconds: 300
            """);

        Assert.Multiple(() =>
        {
            Assert.That(policy.Evaluate(Inputs.Exchange()).Allowed, Is.False);
            Assert.That(withAllow.Evaluate(Inputs.Exchange()).MaxTtl, Is.EqualTo(TimeSpan.FromSeconds(120)));
            Assert.That(withAllow.Evaluate(Inputs.Exchange(destination: "https://crm.example")).MaxTtl, Is.EqualTo(TimeSpan.FromSeconds(300)));
        });
    }

    [Test]
    public void Rules_apply_only_to_their_operations()
    {
        var policy = Inputs.Compile("""
            rules:
              - id: no-delegation
                effect: deny
                operations: [delegate]
                condition: "true"
              - id: allow-all
                effect: allow
                condition: "true"
            """);

        Assert.Multiple(() =>
        {
            Assert.That(policy.Evaluate(Inputs.Exchange(operation: PolicyOperation.Delegate)).Allowed, Is.False);
            Assert.That(policy.Evaluate(Inputs.Exchange(operation: PolicyOperation.Exchange)).Allowed, Is.True);
            Assert.That(policy.Evaluate(Inputs.Exchange(operation: PolicyOperation.CreateTask)).Allowed, Is.True);
        });
    }

    [Test]
    public void A_condition_that_fails_to_evaluate_never_opens_a_door()
    {
        // With depth 0 both conditions divide by zero at run time.
        var denyFails = Inputs.Compile("""
            rules:
              - id: long-per-level
                effect: deny
                condition: request.ttlSeconds / request.depth > 1000
              - id: allow-all
                effect: allow
                condition: "true"
            """);
        var allowFails = Inputs.Compile("""
            rules:
              - id: per-level
                effect: allow
                condition: request.ttlSeconds / request.depth > 0
            """);

        Assert.Multiple(() =>
        {
            Assert.That(denyFails.Evaluate(Inputs.Exchange(depth: 0)).Allowed, Is.False, "a failing deny rule denies");
            Assert.That(denyFails.Evaluate(Inputs.Exchange(depth: 0)).Reason, Does.Contain("failed to evaluate"));
            Assert.That(allowFails.Evaluate(Inputs.Exchange(depth: 0)).Allowed, Is.False, "a failing allow rule does not allow");
            Assert.That(denyFails.Evaluate(Inputs.Exchange(depth: 1)).Allowed, Is.True);
            Assert.That(allowFails.Evaluate(Inputs.Exchange(depth: 1)).Allowed, Is.True);
        });
    }

    [Test]
    public void A_field_of_a_missing_approval_is_null_so_conditions_compare_safely()
    {
        var policy = Inputs.Compile("""
            rules:
              - id: approved
                effect: allow
                condition: task.approval != null && task.approval.approver == 'alice'
            """);

        Assert.Multiple(() =>
        {
            Assert.That(policy.Evaluate(Inputs.Exchange()).Allowed, Is.False);
            Assert.That(policy.Evaluate(Inputs.Exchange(approval: new Abstractions.Tasks.TaskApproval("CHG-1", "alice", Inputs.Now))).Allowed, Is.True);
        });
    }

    [Test]
    public void Conditions_see_the_broker_facts_and_the_decision_time()
    {
        var policy = Inputs.Compile("""
            dataClasses:
              postgres://payments: restricted
            rules:
              - id: facts
                effect: allow
                condition: >
                  facts.dataClass == 'restricted' && request.dataClass == null && facts.risk.agent == 'medium' &&
                  facts.risk.workflow == 'none' && facts.risk.actor == 'none' && now == timestamp('2026-11-28T09:00:00Z') &&
                  task.workflow.designer == 'payments' && caller.roles == ['agent'] && request.ttlSeconds == 300 &&
                  operation == 'exchange' && task.state == 'running' && request.depth == 0 && task.maxDelegationDepth == 2
            """);

        Assert.Multiple(() =>
        {
            Assert.That(policy.Evaluate(Inputs.Exchange(agentRisk: RiskLevel.Medium)).Allowed, Is.True);
            Assert.That(policy.Evaluate(Inputs.Exchange(agentRisk: RiskLevel.Low)).Allowed, Is.False);
            Assert.That(policy.RegisteredDataClass("postgres://payments"), Is.EqualTo("restricted"));
            Assert.That(policy.RegisteredDataClass("postgres://other"), Is.Null);
        });
    }

    [Test]
    public void A_rule_can_tell_a_downstream_secret_from_an_access_token_by_the_providers_kind()
    {
        var policy = Inputs.Compile("""
            rules:
              - id: allow-all
                effect: allow
                condition: "true"
              - id: no-database-logins
                effect: deny
                condition: facts.secretKind == 'postgresql'
            """);

        Assert.Multiple(() =>
        {
            Assert.That(policy.Evaluate(Inputs.Exchange(secretKind: "postgresql")).RuleId, Is.EqualTo("no-database-logins"));
            Assert.That(policy.Evaluate(Inputs.Exchange(secretKind: "redis")).Allowed, Is.True);
            Assert.That(policy.Evaluate(Inputs.Exchange()).Allowed, Is.True, "an access token has no secret kind (null)");
        });
    }

    [Test]
    public void The_built_in_policy_denies_high_risk_and_allows_the_rest()
    {
        var policy = PolicyLoader.LoadBuiltIn();

        Assert.Multiple(() =>
        {
            Assert.That(policy.Source, Is.EqualTo(PolicyLoader.BuiltInSource));
            Assert.That(policy.Evaluate(Inputs.Exchange(agentRisk: RiskLevel.High)).RuleId, Is.EqualTo("deny-high-risk"));
            Assert.That(policy.Evaluate(Inputs.Exchange(agentRisk: RiskLevel.Critical)).Allowed, Is.False);
            Assert.That(policy.Evaluate(Inputs.Exchange(agentRisk: RiskLevel.Medium)).Allowed, Is.True);
        });
    }

    [Test]
    public void The_version_is_a_hash_of_the_documents()
    {
        const string yaml = "rules: [{id: a, effect: allow, condition: 'true'}]";
        var first = Inputs.Compile(yaml);
        var again = Inputs.Compile(yaml);

        Assert.Multiple(() =>
        {
            Assert.That(again.Version, Is.EqualTo(first.Version));
            Assert.That(Inputs.Compile(yaml).Version, Does.StartWith("sha256:"));
            Assert.That(Inputs.Compile(yaml + " ").Version, Is.Not.EqualTo(Inputs.Compile(yaml).Version));
        });
    }

    [Test]
    public void Concurrent_evaluations_agree()
    {
        var policy = Inputs.Compile("""
            rules:
              - id: reads
                effect: allow
                condition: request.actions.all(a, a == 'read')
            """);

        var results = Enumerable.Range(0, 2000).AsParallel().Select(i => policy.Evaluate(Inputs.Exchange(actions: i % 2 == 0 ? ["read"] : ["write"])).Allowed == (i % 2 == 0)).ToList();

        Assert.That(results, Is.All.True);
    }
}
