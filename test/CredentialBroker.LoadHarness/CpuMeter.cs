using System.Globalization;

namespace CredentialBroker.LoadHarness;

/// <summary>
/// CPU time (user + system) of a set of processes, from <c>/proc/PID/stat</c>, so a scenario can state what each request cost
/// the servers — a figure a busy machine distorts far less than throughput.
/// </summary>
internal sealed class CpuMeter
{
    private readonly int[] _processes;
    private readonly double _start;

    private CpuMeter(int[] processes)
    {
        _processes = processes;
        _start = Seconds();
    }

    /// <summary>Starts counting the CPU time of <paramref name="processes"/>.</summary>
    public static CpuMeter Start(params int[] processes) => new(processes);

    /// <summary>CPU time spent since the start, in microseconds per one of <paramref name="requests"/>.</summary>
    public double MicrosecondsPer(int requests) => (Seconds() - _start) * 1e6 / requests;

    private double Seconds() => _processes.Sum(CpuSeconds);

    // Fields 14 and 15 of /proc/PID/stat (utime, stime), in clock ticks of 1/100 s (USER_HZ on Linux); the command name in
    // field 2 may hold spaces, so the count starts after its closing parenthesis.
    private static double CpuSeconds(int process)
    {
        var stat = File.ReadAllText($"/proc/{process}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / 100.0;
    }
}
