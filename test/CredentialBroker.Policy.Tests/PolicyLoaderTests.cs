using CredentialBroker.Abstractions.Storage;
using CredentialBroker.Abstractions.Tasks;
using CredentialBroker.Core.Tasks;

namespace CredentialBroker.Policy.Tests;

/// <summary>A broken policy is rejected whole, with every problem reported at once.</summary>
public sealed class PolicyLoaderTests
{
    private static IReadOnlyList<PolicyError> ErrorsOf(params (string Name, string Text)[] documents)
    {
        var exception = Assert.Throws<PolicyLoadException>(() => PolicyLoader.Compile(documents, "test"));
        return exception.Errors;
    }

    [Test]
    public void Every_problem_in_every_file_is_reported_at_once()
    {
        var errors = ErrorsOf(
            ("a.yaml", """
                rules:
                  - id: no-effect
                    condition: "true"
                  - id: bad-cel
                    effect: allow
                    condition: "request.tool =="
                  - id: typo
                    effect: deny
                    condition: reqest.tool == 'x'
                  - id: not-boolean
                    effect: allow
                    condition: request.tool
                  - id: limitless
                    effect: limit
                    condition: "true"
                  - effect: allow
                    condition: "true"
                  - id: bad-operation
                    effect: allow
                    operations: [create, exchange]
                    condition: "true"
                """),
            ("b.yaml", """
                rules:
                  - id: typo
                    effect: allow
                    condition: request.nosuchfield == 1
                """));

        Assert.Multiple(() =>
        {
            Assert.That(errors.Select(e => e.ToString()), Has.Some.Contains("a.yaml: rule no-effect: 'effect' must be allow, deny or limit"));
            Assert.That(errors.Select(e => e.ToString()), Has.Some.Contains("rule bad-cel: the condition does not compile"));
            Assert.That(errors.Select(e => e.ToString()), Has.Some.Contains("rule typo: the condition refers to something that does not exist"));
            Assert.That(errors.Select(e => e.ToString()), Has.Some.Contains("rule not-boolean: the condition does not evaluate to a boolean"));
            Assert.That(errors.Select(e => e.ToString()), Has.Some.Contains("rule limitless: a limit rule needs 'maxTtlSeconds'"));
            Assert.That(errors.Select(e => e.ToString()), Has.Some.Contains("rules[5]: 'id' is required"));
            Assert.That(errors.Select(e => e.ToString()), Has.Some.Contains("unknown operation 'create'"));
            Assert.That(errors.Select(e => e.ToString()), Has.Some.Contains("b.yaml: rule typo: the id is used by another rule"));
            Assert.That(errors.Select(e => e.ToString()), Has.Some.Contains("b.yaml: rule typo: the condition refers to something that does not exist"));
        });
    }

    [TestCase("rules:\n  - id: a\n    effect: allow\n    condition: 'true'\n    maxTTL: 5\n", "line 5", TestName = "unknown key")]
    [TestCase("rules:\n  - id: a\n    effect: allow\n    effect: deny\n    condition: 'true'\n", "line 4", TestName = "duplicate key")]
    [TestCase("rules:\n  - id: a\n   effect: allow\n", "line", TestName = "bad indentation")]
    [TestCase("rules: [", "line", TestName = "unterminated flow")]
    public void Yaml_mistakes_are_reported_with_their_position(string yaml, string position)
    {
        var error = ErrorsOf(("p.yaml", yaml)).Single();
        Assert.That(error.Location, Does.StartWith(position));
    }

    [Test]
    public void Contradicting_data_classes_across_files_are_rejected_and_agreeing_ones_accepted()
    {
        const string rules = "rules: [{id: a, effect: allow, condition: 'true'}]";
        var errors = ErrorsOf(("a.yaml", "dataClasses: {postgres://payments: confidential}\n" + rules), ("b.yaml", "dataClasses: {postgres://payments: public}"));
        var agreeing = PolicyLoader.Compile([("a.yaml", "dataClasses: {postgres://payments: confidential}\n" + rules), ("b.yaml", "dataClasses: {postgres://payments: confidential}")], "test");

        Assert.Multiple(() =>
        {
            Assert.That(errors.Single().ToString(), Does.Contain("'public' contradicts 'confidential' in a.yaml"));
            Assert.That(agreeing.RegisteredDataClass("postgres://payments"), Is.EqualTo("confidential"));
        });
    }

    [Test]
    public void A_policy_without_rules_is_rejected_because_it_would_deny_everything() =>
        Assert.That(ErrorsOf(("p.yaml", "dataClasses: {x: y}")).Single().Message, Does.Contain("no rule"));

    [Test]
    public void An_empty_file_is_rejected() => Assert.That(ErrorsOf(("p.yaml", "")).Single().Message, Does.Contain("empty"));

    [Test]
    public void A_directory_loads_its_policy_files_and_skips_test_files()
    {
        var directory = Directory.CreateTempSubdirectory("cb-policy-").FullName;
        File.WriteAllText(Path.Combine(directory, "a.yaml"), "rules: [{id: a, effect: allow, condition: 'true'}]");
        File.WriteAllText(Path.Combine(directory, "b.yml"), "rules: [{id: b, effect: deny, condition: 'false'}]");
        File.WriteAllText(Path.Combine(directory, "a_test.yaml"), "this: is not a policy");
        File.WriteAllText(Path.Combine(directory, "notes.txt"), "ignored");

        var policy = PolicyLoader.Load(directory);

        Assert.That(policy.RuleIds, Is.EqualTo(new[] { "a", "b" }));
    }

    [Test]
    public void A_missing_path_is_a_clear_error() =>
        Assert.That(() => PolicyLoader.Load("/nonexistent/policy"), Throws.TypeOf<PolicyLoadException>().With.Message.Contains("/nonexistent/policy"));

    private const string AllowAll = "rules:\n  - id: all\n    effect: allow\n    condition: 'true'\n";

    [Test]
    public void State_revocation_has_a_default_and_per_workflow_entries_that_replace_it_state_by_state()
    {
        var policy = PolicyLoader.Compile([("p.yaml", AllowAll + """
            stateRevocation:
              default:
                paused: [access_token]
                running: []
              workflows:
                wf-payroll:
                  paused: [access_token, secret, delegated]
            """)], "test");

        Assert.Multiple(() =>
        {
            Assert.That(policy.RevokedOnEntering("wf-other", TaskState.Paused), Is.EquivalentTo(new[] { CredentialKind.AccessToken }));
            Assert.That(policy.RevokedOnEntering("wf-payroll", TaskState.Paused), Is.EquivalentTo(new[] { CredentialKind.AccessToken, CredentialKind.Secret, CredentialKind.Delegated }));
            Assert.That(policy.RevokedOnEntering("wf-payroll", TaskState.Running), Is.Empty, "the default applies to states a workflow does not name");
            Assert.That(policy.RevokedOnEntering("wf-payroll", TaskState.AwaitingApproval), Is.Empty, "a state missing from the table revokes nothing");
            Assert.That(policy.RevokedOnEntering("wf-payroll", TaskState.Completed), Is.EquivalentTo(Enum.GetValues<CredentialKind>()));
        });
    }

    [Test]
    public void Without_a_state_revocation_table_pausing_and_awaiting_approval_revoke_downstream_credentials_only()
    {
        var policy = PolicyLoader.Compile([("p.yaml", AllowAll)], "test");

        Assert.Multiple(() =>
        {
            Assert.That(policy.RevokedOnEntering("wf", TaskState.Paused), Is.EquivalentTo(new[] { CredentialKind.AccessToken, CredentialKind.Secret, CredentialKind.TxnToken }));
            Assert.That(policy.RevokedOnEntering("wf", TaskState.AwaitingApproval), Is.EquivalentTo(new[] { CredentialKind.AccessToken, CredentialKind.Secret, CredentialKind.TxnToken }));
            Assert.That(policy.RevokedOnEntering("wf", TaskState.Running), Is.Empty);
            Assert.That(policy.RevokedOnEntering("wf", TaskState.Cancelled), Is.EquivalentTo(Enum.GetValues<CredentialKind>()));
        });
    }

    [Test]
    public void State_revocation_mistakes_are_all_reported()
    {
        var errors = ErrorsOf(
            ("a.yaml", AllowAll + """
                stateRevocation:
                  default:
                    completed: [task]
                    sleeping: [task]
                    paused: [tokens]
                """),
            ("b.yaml", """
                stateRevocation:
                  default:
                    paused: [secret]
                """));

        Assert.Multiple(() =>
        {
            Assert.That(errors.Select(e => e.ToString()), Has.Some.Contains("stateRevocation.default.completed: terminal states always revoke everything"));
            Assert.That(errors.Select(e => e.ToString()), Has.Some.Contains("stateRevocation.default.sleeping: not a state a task can enter"));
            Assert.That(errors.Select(e => e.ToString()), Has.Some.Contains("unknown credential kind 'tokens'"));
            Assert.That(errors.Select(e => e.ToString()), Has.Some.Contains("b.yaml: stateRevocation: already defined in a.yaml"));
        });
    }
}
