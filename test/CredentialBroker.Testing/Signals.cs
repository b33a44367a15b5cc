using System.Runtime.InteropServices;

namespace CredentialBroker.Testing;

/// <summary>POSIX signals to processes the tests started: freeze one (<c>SIGSTOP</c>, a hang as its clients see it) and thaw it (<c>SIGCONT</c>).</summary>
public static partial class Signals
{
    // Linux numbers (x86-64 and arm64 alike).
    private const int SigStop = 19;
    private const int SigCont = 18;

    /// <summary>Freezes process <paramref name="pid"/>: it keeps its sockets open and answers nothing.</summary>
    public static void Stop(int pid) => Send(pid, SigStop);

    /// <summary>Lets a frozen process run again.</summary>
    public static void Continue(int pid) => Send(pid, SigCont);

    private static void Send(int pid, int signal)
    {
        if (Kill(pid, signal) != 0)
        {
            throw new InvalidOperationException($"kill({pid}, {signal}) failed with errno {Marshal.GetLastPInvokeError()}.");
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
