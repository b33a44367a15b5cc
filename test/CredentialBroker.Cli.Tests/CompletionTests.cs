using CredentialBroker.Testing;

namespace CredentialBroker.Cli.Tests;

/// <summary><c>brokerctl completion bash|zsh|pwsh</c> and the suggest directive the scripts ask.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class CompletionTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("cb-completion-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    /// <summary>Completes <paramref name="line"/> at its end the way bash would: the printed script sourced, its function called with bash's variables.</summary>
    private async Task<string[]> CompleteInBashAsync(string line)
    {
        // brokerctl on PATH, as the tool install puts it there.
        var shim = Path.Combine(_directory, "brokerctl");
        await File.WriteAllTextAsync(shim, $"#!/bin/sh\nexec '{ProcessRunner.DotnetHost}' '{Brokerctl.Assembly}' \"$@\"\n");
        File.SetUnixFileMode(shim, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var script = """
            source <(brokerctl completion bash)
            read -r -a COMP_WORDS <<<"$LINE"
            [[ $LINE == *' ' ]] && COMP_WORDS+=('')
            COMP_LINE=$LINE COMP_POINT=${#LINE} COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
            _brokerctl_complete
            printf '%s\n' "${COMPREPLY[@]}"
            """;
        var bash = await ProcessRunner.RunAsync("bash", ["-c", script], new Dictionary<string, string>
        {
            ["PATH"] = _directory + Path.PathSeparator + Environment.GetEnvironmentVariable("PATH"),
            ["LINE"] = line,
        });
        Assert.That(bash.ExitCode, Is.Zero, bash.StandardError);
        return bash.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    [Test]
    public async Task The_bash_script_completes_subcommands_options_and_option_values_through_brokerctl()
    {
        var printed = await Brokerctl.RunAsync("completion", "bash");

        Assert.Multiple(async () =>
        {
            Assert.That(printed.ExitCode, Is.Zero, printed.StandardError);
            Assert.That(printed.StandardOutput, Does.Contain("complete -o default -F _brokerctl_complete brokerctl"));
            Assert.That(await CompleteInBashAsync("brokerctl tr"), Is.EqualTo(new[] { "trust" }));
            Assert.That(await CompleteInBashAsync("brokerctl trust "), Is.SupersetOf(new[] { "init", "svid" }));
            Assert.That(await CompleteInBashAsync("brokerctl trust s"), Is.EqualTo(new[] { "svid" }));
            Assert.That(await CompleteInBashAsync("brokerctl incident declare --severity h"), Is.EqualTo(new[] { "high" }));
            Assert.That(await CompleteInBashAsync("brokerctl report exposure -o m"), Is.EqualTo(new[] { "markdown" }));
        });
    }

    [Test]
    public async Task The_suggest_directive_lists_the_subcommands_that_complete_a_partial_command_name()
    {
        var partial = await Brokerctl.RunAsync("[suggest:12]", "brokerctl tr");
        var subcommands = await Brokerctl.RunAsync("[suggest:16]", "brokerctl trust ");
        var revocation = await Brokerctl.RunAsync("[suggest:21]", "brokerctl revocation ");

        Assert.Multiple(() =>
        {
            Assert.That(partial.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries), Is.EqualTo(new[] { "trust" }));
            Assert.That(subcommands.StandardOutput.Split('\n'), Does.Contain("init").And.Contain("svid"));
            Assert.That(revocation.StandardOutput.Split('\n'), Does.Contain("show").And.Contain("lift-quarantine"));
        });
    }

    [Test]
    public async Task The_audit_commands_and_tasks_continue_complete_like_the_others()
    {
        Assert.Multiple(async () =>
        {
            Assert.That(await CompleteInBashAsync("brokerctl au"), Is.EqualTo(new[] { "audit" }));
            Assert.That(await CompleteInBashAsync("brokerctl audit "), Is.SupersetOf(new[] { "trace", "verify", "export" }));
            Assert.That(await CompleteInBashAsync("brokerctl audit verify --from c"), Is.EqualTo(new[] { "checkpoint" }));
            Assert.That(await CompleteInBashAsync("brokerctl audit export --pa"), Is.EqualTo(new[] { "--page-size" }));
            Assert.That(await CompleteInBashAsync("brokerctl tasks "), Is.SupersetOf(new[] { "show", "continue" }));
            Assert.That(await CompleteInBashAsync("brokerctl tasks continue tsk_1 --ex"), Is.EqualTo(new[] { "--extend" }));
        });
    }

    [TestCase("bash", "_brokerctl_complete", ExpectedResult = 0)]
    [TestCase("zsh", "compdef _brokerctl brokerctl", ExpectedResult = 0)]
    [TestCase("pwsh", "Register-ArgumentCompleter -Native -CommandName brokerctl", ExpectedResult = 0)]
    [TestCase("fish", "brokerctl: SHELL must be bash, zsh or pwsh, not 'fish'; for example brokerctl completion bash.", ExpectedResult = 2)]
    public async Task<int> Each_shell_gets_a_script_that_asks_brokerctl_and_any_other_is_refused_in_plain_words(string shell, string expected)
    {
        var printed = await Brokerctl.RunAsync("completion", shell);

        Assert.That(printed.ExitCode == 0 ? printed.StandardOutput : printed.StandardError, Does.Contain(expected).And.Contain(printed.ExitCode == 0 ? "[suggest:" : "brokerctl"));
        return printed.ExitCode;
    }
}
