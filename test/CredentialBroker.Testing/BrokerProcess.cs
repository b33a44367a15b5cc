using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace CredentialBroker.Testing;

/// <summary>
/// The real broker binary (<c>CredentialBroker.Server.dll</c>, next to the calling assembly) — or another ASP.NET
/// Core app next to it, a sample say — as a separate process, the way a user runs it. Start-up is awaited on the
/// process's own signals: its "Now listening on" line, or its exit.
/// </summary>
public sealed class BrokerProcess : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly TaskCompletionSource _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<(string Text, TaskCompletionSource Seen)> _awaited = [];

    private BrokerProcess(string assembly, IReadOnlyDictionary<string, string> environment, IEnumerable<string> arguments)
    {
        var info = new ProcessStartInfo(ProcessRunner.DotnetHost)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, assembly));
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment)
        {
            info.Environment[name] = value;
        }

        _process = new Process { StartInfo = info, EnableRaisingEvents = true };
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.Exited += (_, _) => _listening.TrySetException(new InvalidOperationException($"{assembly} exited."));
    }

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public int ExitCode => _process.ExitCode;

    /// <summary>The operating system's id of the process (to read its CPU time).</summary>
    public int ProcessId => _process.Id;

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Starts the broker and returns once it listens (or throws with its output if it exits first).</summary>
    public static Task<BrokerProcess> StartListeningAsync(IReadOnlyDictionary<string, string> environment, params string[] arguments) =>
        StartAppListeningAsync("CredentialBroker.Server.dll", environment, arguments);

    /// <summary>Starts the ASP.NET Core app <paramref name="assembly"/> and returns once it listens (or throws with its output if it exits first).</summary>
    public static async Task<BrokerProcess> StartAppListeningAsync(string assembly, IReadOnlyDictionary<string, string> environment, params string[] arguments)
    {
        var broker = Launch(assembly, environment, arguments);
        try
        {
            await broker._listening.Task.WaitAsync(StartTimeout);
        }
        catch (Exception ex) when (ex is InvalidOperationException or TimeoutException)
        {
            await broker.DisposeAsync();
            throw new InvalidOperationException($"{assembly} did not start listening:{Environment.NewLine}{broker.Output}", ex);
        }

        return broker;
    }

    /// <summary>Runs the broker until it exits by itself (a refused start).</summary>
    public static async Task<BrokerProcess> RunToExitAsync(IReadOnlyDictionary<string, string> environment, params string[] arguments)
    {
        var broker = Launch("CredentialBroker.Server.dll", environment, arguments);
        using var timeout = new CancellationTokenSource(StartTimeout);
        await broker._process.WaitForExitAsync(timeout.Token);
        return broker;
    }

    /// <summary>Completes when the process has written <paramref name="text"/> (already, or later).</summary>
    public Task WaitForOutputAsync(string text)
    {
        var seen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_output)
        {
            if (_output.ToString().Contains(text, StringComparison.Ordinal))
            {
                return Task.CompletedTask;
            }

            _awaited.Add((text, seen));
        }

        return seen.Task.WaitAsync(StartTimeout);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private static BrokerProcess Launch(string assembly, IReadOnlyDictionary<string, string> environment, string[] arguments)
    {
        var broker = new BrokerProcess(assembly, environment, arguments);
        broker._process.Start();
        broker._process.BeginOutputReadLine();
        broker._process.BeginErrorReadLine();
        return broker;
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
            foreach (var (text, seen) in _awaited)
            {
                if (line.Contains(text, StringComparison.Ordinal))
                {
                    seen.TrySetResult();
                }
            }
        }

        if (line.Contains("Now listening on:", StringComparison.Ordinal))
        {
            _listening.TrySetResult();
        }
    }
}
