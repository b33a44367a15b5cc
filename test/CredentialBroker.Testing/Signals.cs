using System.Runtime.InteropServices;

namespace CredentialBroker.Testing;

/// <summary>POSIX signals to processes the tests started: freeze one (<c>SIGSTOP</c>, a hang as its clients see it), thaw it (<c>SIGCONT</c>) or kill it (<c>SIGKILL</c>).</summary>
public static partial class Signals
{
    // Linux numbers (x86-64 and arm64 alike).
    private const int SigStop = 19;
    private const int SigCont = 18;
    private const int SigKill = 9;

    /// <summary>Freezes process <paramref name="pid"/>: it keeps its sockets open and answers nothing.</summary>
    public static void Stop(int pid) => Send(pid, SigStop);

    /// <summary>Lets a frozen process run again.</summary>
    public static void Continue(int pid) => Send(pid, SigCont);

    /// <summary>Kills process <paramref name="pid"/> at once: it finishes nothing, acknowledges nothing and releases nothing it holds.</summary>
    public static void Kill(int pid) => Send(pid, SigKill);

    private static void Send(int pid, int signal)
    {
        if (SendSignal(pid, signal) != 0)
        {
            throw new InvalidOperationException($"kill({pid}, {signal}) failed with errno {Marshal.GetLastPInvokeError()}.");
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int SendSignal(int pid, int signal);
}
