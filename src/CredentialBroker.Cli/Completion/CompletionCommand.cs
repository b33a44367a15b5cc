using System.CommandLine;
using CredentialBroker.Cli.CommandLine;

namespace CredentialBroker.Cli.Completion;

/// <summary>
/// <c>brokerctl completion bash|zsh|pwsh</c>: prints a script that wires the shell's completion to brokerctl itself.
/// The script asks <c>brokerctl [suggest:POSITION] "LINE"</c> (System.CommandLine's suggest directive, the one
/// dotnet-suggest uses) for the candidates at the cursor, so no other tool is needed and the candidates always match the
/// installed brokerctl: subcommands, options, and the values of options that take one of a few words.
/// </summary>
internal static class CompletionCommand
{
    public const string Bash = """
        # brokerctl completion for bash. Load it in this shell:   source <(brokerctl completion bash)
        # or for every shell:   brokerctl completion bash > ~/.local/share/bash-completion/completions/brokerctl
        _brokerctl_complete()
        {
            local IFS=$'\n'
            local candidates
            candidates=$("${COMP_WORDS[0]}" "[suggest:${COMP_POINT}]" "${COMP_LINE}" 2>/dev/null) || return 0
            COMPREPLY=($(compgen -W "${candidates}" -- "${COMP_WORDS[COMP_CWORD]}"))
        }
        complete -o default -F _brokerctl_complete brokerctl

        """;

    public const string Zsh = """
        #compdef brokerctl
        # brokerctl completion for zsh. Load it in this shell:   source <(brokerctl completion zsh)
        # or for every shell: save it as _brokerctl in a directory of your $fpath (before compinit runs).
        _brokerctl() {
            local line="${(j: :)words}"
            local upto="${(j: :)words[1,CURRENT]}"
            local -a candidates
            candidates=(${(f)"$(${words[1]} "[suggest:${#upto}]" "$line" 2>/dev/null)"})
            compadd -- $candidates
        }
        if (( $+functions[compdef] )); then compdef _brokerctl brokerctl; fi

        """;

    public const string PowerShell = """
        # brokerctl completion for PowerShell. Load it in this session:   brokerctl completion pwsh | Out-String | Invoke-Expression
        # or for every session: add that line to your $PROFILE.
        Register-ArgumentCompleter -Native -CommandName brokerctl -ScriptBlock {
            param($wordToComplete, $commandAst, $cursorPosition)
            $line = $commandAst.ToString()
            $position = $cursorPosition - $commandAst.Extent.StartOffset
            & $commandAst.CommandElements[0].Value "[suggest:$position]" "$line" 2>$null |
                Where-Object { $_ -like "$wordToComplete*" } |
                ForEach-Object { [System.Management.Automation.CompletionResult]::new($_, $_, 'ParameterValue', $_) }
        }

        """;

    public static Command Create()
    {
        var shell = ValueParsers.ChoiceArgument("SHELL", "bash, zsh or pwsh (PowerShell).", ["bash", "zsh", "pwsh"], "brokerctl completion bash");
        var command = new Command("completion", "Print a shell completion script: source <(brokerctl completion bash), or zsh, or pwsh (PowerShell).") { shell };
        command.SetAction(parse =>
        {
            Console.Out.Write(parse.GetValue(shell) switch
            {
                "zsh" => Zsh,
                "pwsh" => PowerShell,
                _ => Bash,
            });
            return ExitCodes.Success;
        });
        return command;
    }
}
