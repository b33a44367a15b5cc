using CredentialBroker.Testing;

namespace CredentialBroker.Cli.Tests;

/// <summary>brokerctl as a user runs it: its own process, its standard output redirected (so never a terminal).</summary>
internal static class Brokerctl
{
    /// <summary>The brokerctl assembly built next to the tests.</summary>
    public static string Assembly => Path.Combine(AppContext.BaseDirectory, "brokerctl.dll");

    /// <summary>How a shell script starts it (for scripts run verbatim, as <c>$BROKERCTL</c>).</summary>
    public static string ShellCommand => $"{ProcessRunner.DotnetHost} {Assembly}";

    /// <summary>Runs <c>brokerctl <paramref name="arguments"/></c> to its end.</summary>
    public static Task<ProcessRunner.Result> RunAsync(params string[] arguments) => ProcessRunner.RunAsync(ProcessRunner.DotnetHost, [Assembly, .. arguments]);

    /// <summary>Whether <paramref name="text"/> leaks the runtime instead of speaking plainly: a .NET type or exception name, or a stack trace.</summary>
    public static bool SpeaksDotnet(string text) =>
        text.Contains("System.", StringComparison.Ordinal) || text.Contains("Exception", StringComparison.Ordinal) || text.Contains("   at ", StringComparison.Ordinal)
        || text.Contains("Nullable`1", StringComparison.Ordinal);
}
