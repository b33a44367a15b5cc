using Spectre.Console;

namespace CredentialBroker.Cli.CommandLine;

/// <summary>Where brokerctl's tables go.</summary>
internal static class Terminal
{
    /// <summary>
    /// The width tables may take when stdout is not a terminal. Spectre.Console assumes 80 columns there and would wrap
    /// cells, splitting SPIFFE IDs, jtis and paths over lines; piped, a table is as wide as its content instead (a SPIFFE
    /// ID is at most 2048 bytes, so no row of ours comes near this), and lines can be grepped whole.
    /// </summary>
    public const int UnwrappedWidth = 16_384;

    /// <summary>Sets the console up for this process: unlimited width when stdout is redirected.</summary>
    public static void Configure()
    {
        if (Console.IsOutputRedirected)
        {
            AnsiConsole.Profile.Width = UnwrappedWidth;
        }
    }
}
