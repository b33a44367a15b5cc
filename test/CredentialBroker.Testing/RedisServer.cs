using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace CredentialBroker.Testing;

/// <summary>
/// A real <c>redis-server</c> process on a free loopback port, for tests. It is started and stopped by
/// waiting on its own signals (the "Ready to accept connections" line, process exit), never on sleeps.
/// Set <c>CB_TEST_REDIS=host:port</c> to use an existing server instead (tests that stop Redis always
/// start their own).
/// </summary>
public sealed class RedisServer : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(20);

    private readonly string _directory;
    private readonly StringBuilder _output = new();
    private readonly string[] _arguments;
    private Process? _process;

    private RedisServer(int port, string? external, params string[] arguments)
    {
        Port = port;
        External = external;
        _arguments = arguments;
        _directory = Directory.CreateTempSubdirectory("cb-redis-").FullName;
    }

    /// <summary>The loopback port the server listens on.</summary>
    public int Port { get; }

    /// <summary>The endpoint from <c>CB_TEST_REDIS</c> when an external server is used.</summary>
    public string? External { get; }

    /// <summary>A StackExchange.Redis connection string for this server.</summary>
    public string ConnectionString => External ?? $"127.0.0.1:{Port}";

    /// <summary>Whether the server process is running.</summary>
    public bool IsRunning => External is not null || _process is { HasExited: false };

    /// <summary>The shared server for a test run: <c>CB_TEST_REDIS</c> if set, otherwise a private process.</summary>
    public static async Task<RedisServer> StartSharedAsync()
    {
        var external = Environment.GetEnvironmentVariable("CB_TEST_REDIS");
        if (!string.IsNullOrWhiteSpace(external))
        {
            return new RedisServer(0, external);
        }

        return await StartPrivateAsync();
    }

    /// <summary>A private server process that the test may stop and restart, with more <paramref name="arguments"/> for redis-server.</summary>
    public static async Task<RedisServer> StartPrivateAsync(params string[] arguments)
    {
        var server = new RedisServer(FreePort(), external: null, arguments);
        await server.StartAsync();
        return server;
    }

    /// <summary>Starts (or restarts, on the same port) the server process.</summary>
    public async Task StartAsync()
    {
        if (External is not null)
        {
            throw new InvalidOperationException("An external Redis (CB_TEST_REDIS) cannot be started or stopped by tests.");
        }

        var binary = FindBinary();
        var info = new ProcessStartInfo(binary)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = _directory,
        };
        foreach (var argument in (string[])["--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1",
                     "--save", string.Empty, "--appendonly", "no", "--daemonize", "no", "--dir", _directory, "--loglevel", "notice",
                     "--maxmemory-policy", "noeviction", .. _arguments])
        {
            info.ArgumentList.Add(argument);
        }

        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }

            lock (_output)
            {
                _output.AppendLine(e.Data);
            }

            if (e.Data.Contains("Ready to accept connections", StringComparison.Ordinal))
            {
                ready.TrySetResult();
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (_output)
                {
                    _output.AppendLine(e.Data);
                }
            }
        };
        process.Exited += (_, _) => ready.TrySetException(new InvalidOperationException($"redis-server exited during start:{Environment.NewLine}{Output}"));

        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        try
        {
            await ready.Task.WaitAsync(StartTimeout);
        }
        catch (TimeoutException)
        {
            throw new InvalidOperationException($"redis-server did not report ready within {StartTimeout.TotalSeconds} s:{Environment.NewLine}{Output}");
        }
    }

    /// <summary>The operating system's id of the running <c>redis-server</c> (to read its CPU time).</summary>
    public int ProcessId => RunningProcess.Id;

    /// <summary>Freezes the server (<c>SIGSTOP</c>): connections stay open and nothing is answered, as in a hang.</summary>
    public void Pause() => Signals.Stop(RunningProcess.Id);

    /// <summary>Lets a paused server run again (<c>SIGCONT</c>).</summary>
    public void Resume() => Signals.Continue(RunningProcess.Id);

    /// <summary>Kills the server process and waits until it has exited.</summary>
    public async Task StopAsync()
    {
        if (_process is null || _process.HasExited)
        {
            return;
        }

        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
        _process.Dispose();
        _process = null;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp directory is harmless.
        }
    }

    private Process RunningProcess => _process is { HasExited: false } process
        ? process
        : throw new InvalidOperationException("The redis-server process is not running (an external CB_TEST_REDIS cannot be paused).");

    private string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    private static string FindBinary()
    {
        var configured = Environment.GetEnvironmentVariable("CB_REDIS_SERVER");
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return configured;
        }

        foreach (var directory in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator))
        {
            var candidate = Path.Combine(directory, "redis-server");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException(
            "redis-server was not found on PATH. The tests need a real Redis: run './build.sh test' (it installs redis-server), " +
            "or 'apt-get install redis-server', or set CB_TEST_REDIS=host:port to use a running server.");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
