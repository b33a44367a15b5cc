using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Npgsql;

namespace CredentialBroker.Testing;

/// <summary>
/// A real PostgreSQL server for tests: a private cluster made by <c>initdb</c> in a temp directory and run as a plain
/// <c>postgres</c> process on a free loopback port, started and stopped on its own signals (the "ready to accept
/// connections" log line, process exit), never on sleeps. As root, both run as the <c>postgres</c> system user
/// (PostgreSQL refuses root). Binaries: <c>CB_POSTGRES_BIN</c> (a directory), else <c>postgres</c> on PATH, else the
/// highest <c>/usr/lib/postgresql/&lt;version&gt;/bin</c> (Debian keeps them off PATH). Set <c>CB_TEST_POSTGRES</c> to a
/// superuser connection string to use an existing server instead (tests that stop PostgreSQL always start their own).
/// <para>
/// The server has a test database and the broker's admin role with least privilege: <c>LOGIN CREATEROLE</c>, not a
/// superuser (docs/backends.md). Test setup itself connects as a superuser.
/// </para>
/// </summary>
public sealed class PostgresServer : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private static readonly bool AsRoot = Environment.IsPrivilegedProcess;

    private readonly string _directory;
    private readonly StringBuilder _output = new();
    private readonly string _superuserPassword = RandomNumberGenerator.GetHexString(32, lowercase: true);
    private readonly string _adminPassword = RandomNumberGenerator.GetHexString(32, lowercase: true);
    private readonly NpgsqlConnectionStringBuilder? _external;
    private Process? _process;
    private bool _initialized;

    private PostgresServer(int port, string? external)
    {
        Port = port;
        _directory = Directory.CreateTempSubdirectory("cb-postgres-").FullName;
        if (external is null)
        {
            AdminRole = "cb_broker_admin";
            Database = "cb_test";
        }
        else
        {
            _external = new NpgsqlConnectionStringBuilder(external);
            var suffix = RandomNumberGenerator.GetHexString(8, lowercase: true);
            AdminRole = "cb_broker_admin_" + suffix;
            Database = "cb_test_" + suffix;
        }
    }

    /// <summary>The port (for a private server, a free loopback port).</summary>
    public int Port { get; }

    /// <summary>The host the server listens on.</summary>
    public string Host => _external?.Host ?? "127.0.0.1";

    /// <summary>Whether this is an existing server from <c>CB_TEST_POSTGRES</c>.</summary>
    public bool IsExternal => _external is not null;

    /// <summary>The broker's admin role (LOGIN CREATEROLE, not a superuser).</summary>
    public string AdminRole { get; }

    /// <summary>The test database.</summary>
    public string Database { get; }

    /// <summary>The server's <c>server_version_num</c> (150000 and up), known once started.</summary>
    public int VersionNumber { get; private set; }

    /// <summary>A superuser connection to <paramref name="database"/> (default: the test database), unpooled, for test setup.</summary>
    public string SuperuserConnectionString(string? database = null)
    {
        var builder = _external is not null
            ? new NpgsqlConnectionStringBuilder(_external.ConnectionString)
            : new NpgsqlConnectionStringBuilder { Host = Host, Port = Port, Username = "cb_superuser", Password = _superuserPassword };
        builder.Database = database ?? Database;
        builder.Pooling = false;
        return builder.ConnectionString;
    }

    /// <summary>The broker's admin connection string: what <c>…:ConnectionString</c> of a postgresql provider holds.</summary>
    public string AdminConnectionString => LoginConnectionString(AdminRole, _adminPassword);

    /// <summary>An unpooled connection string for <paramref name="username"/> with <paramref name="password"/> to the test database.</summary>
    public string LoginConnectionString(string username, string password) => new NpgsqlConnectionStringBuilder
    {
        Host = Host,
        Port = _external?.Port ?? Port,
        Database = Database,
        Username = username,
        Password = password,
        Pooling = false,
        Timeout = 10,
    }.ConnectionString;

    /// <summary>The shared server for a test run: <c>CB_TEST_POSTGRES</c> if set, otherwise a private cluster.</summary>
    public static async Task<PostgresServer> StartSharedAsync()
    {
        var external = Environment.GetEnvironmentVariable("CB_TEST_POSTGRES");
        if (string.IsNullOrWhiteSpace(external))
        {
            return await StartPrivateAsync();
        }

        var server = new PostgresServer(new NpgsqlConnectionStringBuilder(external).Port, external);
        await server.PrepareAsync();
        return server;
    }

    /// <summary>A private cluster that the test may stop and restart.</summary>
    public static async Task<PostgresServer> StartPrivateAsync()
    {
        var server = new PostgresServer(FreePort(), external: null);
        try
        {
            await server.StartAsync();
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }

        return server;
    }

    /// <summary>Runs <paramref name="sql"/> as a superuser in <paramref name="database"/> (default: the test database).</summary>
    public async Task ExecuteAsSuperuserAsync(string sql, string? database = null)
    {
        await using var connection = new NpgsqlConnection(SuperuserConnectionString(database));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>Runs a query as a superuser and returns the first column of every row.</summary>
    public async Task<List<T>> QueryAsSuperuserAsync<T>(string sql, params object[] parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        await using var connection = new NpgsqlConnection(SuperuserConnectionString());
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        }

        var rows = new List<T>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            rows.Add(reader.GetFieldValue<T>(0));
        }

        return rows;
    }

    /// <summary>Starts (or restarts, on the same port and data) the private server.</summary>
    public async Task StartAsync()
    {
        if (IsExternal)
        {
            throw new InvalidOperationException("An external PostgreSQL (CB_TEST_POSTGRES) cannot be started or stopped by tests.");
        }

        var bin = FindBinDirectory();
        var data = Path.Combine(_directory, "data");
        if (!_initialized)
        {
            await InitializeAsync(bin, data);
        }

        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var process = new Process
        {
            StartInfo = AsServerUser(Path.Combine(bin, "postgres"),
            "-D", data, "-p", Port.ToString(CultureInfo.InvariantCulture), "-k", _directory,
            "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
            "-c", "logging_collector=off", "-c", "max_connections=200"),
            EnableRaisingEvents = true
        };
        process.OutputDataReceived += (_, e) => Append(e.Data, ready);
        process.ErrorDataReceived += (_, e) => Append(e.Data, ready);
        process.Exited += (_, _) => ready.TrySetException(new InvalidOperationException($"postgres exited during start:{Environment.NewLine}{Output}"));
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
            throw new InvalidOperationException($"postgres did not report ready within {StartTimeout.TotalSeconds} s:{Environment.NewLine}{Output}");
        }

        if (!_initialized)
        {
            await PrepareAsync();
            _initialized = true;
        }
    }

    /// <summary>Shuts the private server down (fast: sessions are ended) and waits until it has exited.</summary>
    public async Task StopAsync()
    {
        if (_process is null || _process.HasExited)
        {
            return;
        }

        var stop = await ProcessRunner.RunAsync(AsRoot ? "setpriv" : Path.Combine(FindBinDirectory(), "pg_ctl"),
            AsRoot ? [.. ServerUserPrefix(), Path.Combine(FindBinDirectory(), "pg_ctl"), .. StopArguments()] : StopArguments());
        if (stop.ExitCode != 0)
        {
            _process.Kill(entireProcessTree: true);
        }

        await _process.WaitForExitAsync();
        _process.Dispose();
        _process = null;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (IsExternal)
        {
            await ExecuteAsSuperuserAsync($"DROP DATABASE IF EXISTS \"{Database}\" WITH (FORCE)", _external!.Database ?? "postgres");
            await ExecuteAsSuperuserAsync($"DROP ROLE IF EXISTS \"{AdminRole}\"", _external!.Database ?? "postgres");
        }

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

    private string[] StopArguments() => ["stop", "-D", Path.Combine(_directory, "data"), "-m", "fast", "-w", "-t", "30"];

    private async Task InitializeAsync(string bin, string data)
    {
        var passwordFile = Path.Combine(_directory, "superuser.pw");
        await File.WriteAllTextAsync(passwordFile, _superuserPassword);
        if (AsRoot)
        {
            var chown = await ProcessRunner.RunAsync("chown", ["-R", "postgres:postgres", _directory]);
            if (chown.ExitCode != 0)
            {
                throw new InvalidOperationException(
                    $"PostgreSQL refuses to run as root, so the tests run it as the 'postgres' system user, which could not be given {_directory}: {chown.StandardError.Trim()}. "
                    + "'apt-get install postgresql' creates that user.");
            }
        }

        var info = AsServerUser(Path.Combine(bin, "initdb"), "-D", data, "-U", "cb_superuser", "--pwfile", passwordFile,
            "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C", "--no-sync");
        var initdb = await ProcessRunner.RunAsync(info.FileName, info.ArgumentList);
        if (initdb.ExitCode != 0)
        {
            throw new InvalidOperationException($"initdb failed (exit {initdb.ExitCode}):{Environment.NewLine}{initdb.StandardOutput}{initdb.StandardError}");
        }
    }

    /// <summary>Creates the admin role and the test database, and reads the server version.</summary>
    private async Task PrepareAsync()
    {
        var maintenance = _external?.Database ?? "postgres";
        await ExecuteAsSuperuserAsync($"CREATE ROLE \"{AdminRole}\" LOGIN CREATEROLE PASSWORD '{_adminPassword}'", maintenance);
        await ExecuteAsSuperuserAsync($"CREATE DATABASE \"{Database}\"", maintenance);
        await using var connection = new NpgsqlConnection(SuperuserConnectionString());
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SHOW server_version_num", connection);
        VersionNumber = int.Parse((string)(await command.ExecuteScalarAsync())!, CultureInfo.InvariantCulture);
    }

    private static string[] ServerUserPrefix() => ["--reuid=postgres", "--regid=postgres", "--init-groups", "--"];

    /// <summary>Runs <paramref name="binary"/> directly, or as root through <c>setpriv</c> as the postgres user (setpriv execs: no extra process).</summary>
    private ProcessStartInfo AsServerUser(string binary, params string[] arguments)
    {
        var info = new ProcessStartInfo(AsRoot ? "setpriv" : binary)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = _directory,
        };
        foreach (var argument in AsRoot ? [.. ServerUserPrefix(), binary, .. arguments] : arguments)
        {
            info.ArgumentList.Add(argument);
        }

        return info;
    }

    private void Append(string? line, TaskCompletionSource ready)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }

        if (line.Contains("database system is ready to accept connections", StringComparison.Ordinal))
        {
            ready.TrySetResult();
        }
    }

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

    private static string FindBinDirectory()
    {
        static bool Complete(string directory) =>
            File.Exists(Path.Combine(directory, "postgres")) && File.Exists(Path.Combine(directory, "initdb")) && File.Exists(Path.Combine(directory, "pg_ctl"));

        var configured = Environment.GetEnvironmentVariable("CB_POSTGRES_BIN");
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return Complete(configured)
                ? configured
                : throw new InvalidOperationException($"CB_POSTGRES_BIN={configured} does not hold postgres, initdb and pg_ctl.");
        }

        foreach (var directory in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator))
        {
            if (directory.Length > 0 && File.Exists(Path.Combine(directory, "postgres")))
            {
                // A symlink on PATH (as some images make) points into the real bin directory, where initdb sits too.
                var target = new FileInfo(Path.Combine(directory, "postgres")).ResolveLinkTarget(returnFinalTarget: true);
                var real = target is null ? directory : Path.GetDirectoryName(target.FullName)!;
                if (Complete(real))
                {
                    return real;
                }
            }
        }

        const string debian = "/usr/lib/postgresql";
        if (Directory.Exists(debian))
        {
            var highest = Directory.GetDirectories(debian)
                .Select(d => (Directory: Path.Combine(d, "bin"), Version: double.TryParse(Path.GetFileName(d), NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : -1))
                .Where(d => d.Version >= 0 && Complete(d.Directory))
                .OrderByDescending(d => d.Version)
                .FirstOrDefault();
            if (highest.Directory is not null)
            {
                return highest.Directory;
            }
        }

        throw new InvalidOperationException(
            "PostgreSQL server binaries (postgres, initdb, pg_ctl) were not found on PATH or under /usr/lib/postgresql/<version>/bin. "
            + "The tests need a real PostgreSQL: run './build.sh test' (it installs it), or 'apt-get install postgresql', "
            + "or set CB_POSTGRES_BIN to the directory holding them, or CB_TEST_POSTGRES to a superuser connection string of a running server.");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
