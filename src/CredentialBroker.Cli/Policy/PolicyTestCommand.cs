using System.CommandLine;
using System.Text.Json;
using CredentialBroker.Cli.CommandLine;
using CredentialBroker.Policy;
using CredentialBroker.Policy.Testing;

namespace CredentialBroker.Cli.Policy;

/// <summary><c>brokerctl policy test DIR</c>: runs the policy test cases in DIR against the policy in DIR; <c>-o table</c> prints a line per case, <c>-o json</c> one document.</summary>
internal static class PolicyTestCommand
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }; // '+', '<' as they are: this is a terminal, not HTML

    public static Command Create()
    {
        var directory = new Argument<DirectoryInfo>("DIR") { Description = "A directory with policy documents (*.yaml) and test files (*_test.yaml)." };
        var output = OutputOption.Create();
        var command = new Command("test", "Run policy test cases (input → expected decision); exit 1 on any mismatch.") { directory, output };
        command.SetAction((parse, _) => Task.FromResult(Run(parse.GetRequiredValue(directory), parse.GetValue(output) ?? OutputOption.Table, Console.Out, Console.Error)));
        return command;
    }

    internal static int Run(DirectoryInfo directory, string output, TextWriter stdout, TextWriter stderr)
    {
        if (!directory.Exists)
        {
            stderr.WriteLine($"brokerctl: no directory '{directory.FullName}'.");
            return ExitCodes.Usage;
        }

        IReadOnlyList<PolicyTestResult> results;
        try
        {
            results = PolicyTestRunner.RunDirectory(directory.FullName);
        }
        catch (PolicyLoadException ex)
        {
            stderr.WriteLine("brokerctl: " + ex.Message);
            return ExitCodes.Usage;
        }

        var failed = results.Count(r => !r.Passed);
        if (output == OutputOption.Json)
        {
            var json = JsonSerializer.Serialize(new
            {
                passed = results.Count - failed,
                failed,
                cases = results.Select(r => new { file = r.File, name = r.Name, passed = r.Passed, decision = r.Decision is null ? null : (r.Decision.Allowed ? "allow" : "deny"), rule = r.Decision?.RuleId, message = r.Message }),
            }, Indented);
            stdout.WriteLine(json);
        }
        else
        {
            foreach (var result in results)
            {
                stdout.WriteLine(result.Passed
                    ? $"PASS  {result.File}: {result.Name}"
                    : $"FAIL  {result.File}: {result.Name}: {result.Message}");
            }

            stdout.WriteLine();
            stdout.WriteLine($"{results.Count - failed} passed, {failed} failed (policy {results.FirstOrDefault(r => r.Decision is not null)?.Decision?.PolicyVersion ?? "-"})");
        }

        return failed == 0 ? ExitCodes.Success : ExitCodes.Failures;
    }
}
