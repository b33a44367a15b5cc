using System.Text.Json.Nodes;
using CredentialBroker.Cli.Policy;
using CredentialBroker.Testing;

namespace CredentialBroker.Cli.Tests;

/// <summary><c>brokerctl policy test DIR</c>: exit 0 when every case passes, 1 on a mismatch, 2 when the policy does not load.</summary>
public sealed class PolicyTestCommandTests : IDisposable
{
    private static readonly string Samples = Repository.Path("samples", "policies");
    private readonly string _directory = Directory.CreateTempSubdirectory("cb-cli-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static (int ExitCode, string Out, string Err) Run(string directory, string output = "text")
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var exitCode = PolicyTestCommand.Run(new DirectoryInfo(directory), output, stdout, stderr);
        return (exitCode, stdout.ToString(), stderr.ToString());
    }

    private void CopySamplesWith(string extraTestFile)
    {
        foreach (var file in Directory.EnumerateFiles(Samples))
        {
            File.Copy(file, Path.Combine(_directory, Path.GetFileName(file)));
        }

        File.WriteAllText(Path.Combine(_directory, "extra_test.yaml"), extraTestFile);
    }

    [Test]
    public void The_sample_policy_passes_with_exit_code_0()
    {
        var (exitCode, output, _) = Run(Samples);

        Assert.Multiple(() =>
        {
            Assert.That(exitCode, Is.Zero);
            Assert.That(output, Does.Contain("PASS  rules_test.yaml: a sandboxed agent may not write"));
            Assert.That(output, Does.Match(@"\d+ passed, 0 failed \(policy sha256:[0-9a-f]{16}\)"));
        });
    }

    [Test]
    public void A_mismatching_case_fails_with_exit_code_1_and_says_what_differed()
    {
        CopySamplesWith("""
            cases:
              - name: wrongly expects a sandboxed write to pass
                caller: {id: spiffe://corp.example/agents/sandbox/bot}
                task: {agent: spiffe://corp.example/agents/sandbox/bot}
                request: {actions: [write]}
                expect: allow
            """);

        var (exitCode, output, _) = Run(_directory);

        Assert.Multiple(() =>
        {
            Assert.That(exitCode, Is.EqualTo(1));
            Assert.That(output, Does.Contain("FAIL  extra_test.yaml: wrongly expects a sandboxed write to pass: expected allow, got deny by rule 'sandbox-read-only'"));
            Assert.That(output, Does.Contain(" 1 failed"));
        });
    }

    [Test]
    public void A_broken_policy_exits_2_and_lists_its_problems()
    {
        File.WriteAllText(Path.Combine(_directory, "policy.yaml"), "rules: [{id: a, effect: maybe, condition: 'x =='}]");
        File.WriteAllText(Path.Combine(_directory, "policy_test.yaml"), "cases: [{expect: allow}]");

        var (exitCode, _, errors) = Run(_directory);

        Assert.Multiple(() =>
        {
            Assert.That(exitCode, Is.EqualTo(2));
            Assert.That(errors, Does.Contain("policy.yaml: rule a: 'effect' must be allow, deny or limit"));
            Assert.That(errors, Does.Contain("policy.yaml: rule a: the condition does not compile"));
        });
    }

    [Test]
    public void A_directory_without_tests_or_that_does_not_exist_exits_2()
    {
        File.WriteAllText(Path.Combine(_directory, "policy.yaml"), "rules: [{id: a, effect: allow, condition: 'true'}]");

        Assert.Multiple(() =>
        {
            Assert.That(Run(_directory).ExitCode, Is.EqualTo(2));
            Assert.That(Run(Path.Combine(_directory, "nope")).ExitCode, Is.EqualTo(2));
        });
    }

    [Test]
    public void Json_output_is_machine_readable()
    {
        var (exitCode, output, _) = Run(Samples, "json");
        var json = JsonNode.Parse(output)!;

        Assert.Multiple(() =>
        {
            Assert.That(exitCode, Is.Zero);
            Assert.That((int)json["failed"]!, Is.Zero);
            Assert.That((int)json["passed"]!, Is.EqualTo(json["cases"]!.AsArray().Count));
            Assert.That((string?)json["cases"]![0]!["decision"], Is.AnyOf("allow", "deny"));
        });
    }

    [Test]
    public async Task The_brokerctl_binary_runs_the_command()
    {
        var result = await ProcessRunner.RunAsync(ProcessRunner.DotnetHost, [Path.Combine(AppContext.BaseDirectory, "brokerctl.dll"), "policy", "test", Samples]);
        var usage = await ProcessRunner.RunAsync(ProcessRunner.DotnetHost, [Path.Combine(AppContext.BaseDirectory, "brokerctl.dll"), "policy", "test"]);

        Assert.Multiple(() =>
        {
            Assert.That(result.ExitCode, Is.Zero, result.StandardError);
            Assert.That(result.StandardOutput, Does.Contain(" passed, 0 failed"));
            Assert.That(usage.ExitCode, Is.Not.Zero);
        });
    }
}
