using System.Net.Sockets;
using CredentialBroker.Downstream.Providers;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace CredentialBroker.Downstream.PostgreSql;

/// <summary>
/// Issues a PostgreSQL login role per secret and destroys it on revocation (the statements are listed in
/// docs/backends.md). Role names and passwords are generated here; the only configured text that reaches SQL is the
/// member roles, validated as plain identifiers and always quoted. The password never reaches the server: it is
/// sent as a SCRAM-SHA-256 verifier computed here.
/// </summary>
internal sealed partial class PostgreSqlSecretProvider : ISecretProvider, IAsyncDisposable, IDisposable
{
    /// <summary>How long revocation waits for each terminated session to end (<c>pg_terminate_backend(pid, timeout)</c>).</summary>
    private const long SessionEndTimeoutMilliseconds = 5000;

    private readonly NpgsqlConnectionStringBuilder _admin;
    private readonly NpgsqlDataSource _dataSource;
    private readonly string[] _roles;
    private readonly ILogger _logger;
    private readonly Func<string> _newPassword;

    /// <param name="name">The configured provider name.</param>
    /// <param name="options">Settings that passed <see cref="PostgreSqlProviderKind.Validate"/>.</param>
    /// <param name="logger">Where issue and revocation are logged (role names and record ids, never a password).</param>
    /// <param name="newPassword">The password generator; tests wrap the real one to learn the passwords it made.</param>
    public PostgreSqlSecretProvider(string name, ProviderOptions options, ILogger<PostgreSqlSecretProvider> logger, Func<string>? newPassword = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        Name = name;
        Resource = options.Resource ?? throw new ArgumentException("Resource is required.", nameof(options));
        MaxTtl = options.MaxTtl;
        _admin = new NpgsqlConnectionStringBuilder(options.ConnectionString);
        _admin.ApplicationName ??= "credentialbroker";
        _dataSource = NpgsqlDataSource.Create(_admin);
        _roles = [.. options.Roles];
        _logger = logger;
        _newPassword = newPassword ?? GeneratedCredentials.NewPassword;
        Host = _admin.Host!;
        Port = _admin.Port;
        Database = _admin.Database ?? _admin.Username ?? string.Empty;
    }

    public string Name { get; }

    public string Kind => PostgreSqlProviderKind.Name;

    public string Resource { get; }

    public TimeSpan MaxTtl { get; }

    /// <summary>The server agents connect to, as the admin connection string names it.</summary>
    public string Host { get; }

    /// <summary>The server's port.</summary>
    public int Port { get; }

    /// <summary>The database agents connect to: the admin connection string's, or PostgreSQL's default (the user name).</summary>
    public string Database { get; }

    private string Target => $"{Host}:{Port}/{Database}";

    public SecretHandle Plan(string id, DateTimeOffset expiresAt) => new(id, Name, GeneratedCredentials.NewUsername(), null, expiresAt);

    public async ValueTask<IssuedSecret> IssueAsync(SecretHandle plan, CancellationToken cancellationToken)
    {
        var username = CheckHandle(plan, "issue");
        var password = _newPassword();
        try
        {
            await using var command = _dataSource.CreateCommand(CreateRoleStatement(username, password, plan.ExpiresAt));
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (Exception ex) when (IsBackendFailure(ex, cancellationToken))
        {
            throw Failure("issue", plan, ex, password);
        }

        LogRoleIssued(_logger, Name, plan.Id, username, plan.ExpiresAt);
        return new IssuedSecret(plan, password, new Dictionary<string, object>(StringComparer.Ordinal)
        {
            ["host"] = Host,
            ["port"] = Port,
            ["database"] = Database,
            ["username"] = username,
            ["password"] = password,
        });
    }

    public async ValueTask RevokeAsync(SecretHandle handle, CancellationToken cancellationToken)
    {
        var username = CheckHandle(handle, "revoke");
        var role = PostgreSqlSyntax.Identifier(username);
        try
        {
            await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
            var exists = await RoleExistsAsync(connection, username, cancellationToken);
            if (exists)
            {
                // First no new logins; then membership for the admin role, which PostgreSQL requires to end the
                // role's sessions and to drop what it owns (a CREATEROLE role is not a member of the roles
                // it creates). Each statement commits at once, so a retry after a failure starts further along.
                await ExecuteAsync(connection, $"ALTER ROLE {role} NOLOGIN", cancellationToken);
                await ExecuteAsync(connection, $"GRANT {role} TO CURRENT_USER", cancellationToken);
            }

            var ended = await EndSessionsAsync(connection, username, cancellationToken);
            string[] elsewhere = [];
            if (exists)
            {
                elsewhere = await OtherDatabasesAsync(connection, username, cancellationToken);
                foreach (var database in elsewhere)
                {
                    await DropOwnedInAsync(database, role, cancellationToken);
                }

                // What the role created is dropped with it, never handed to the admin role: a SECURITY DEFINER
                // function or a view an agent left behind would run with its new owner's privileges (CREATEROLE) for
                // anyone allowed to call it, long after the secret was revoked.
                await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
                await ExecuteAsync(connection, $"DROP OWNED BY {role}; DROP ROLE IF EXISTS {role}", cancellationToken);
                await transaction.CommitAsync(cancellationToken);
            }

            LogRoleRevoked(_logger, Name, handle.Id, username, exists, ended, elsewhere.Length);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UndefinedObject)
        {
            // Dropped by a concurrent revocation between our statements: revoked all the same.
            LogRoleRevoked(_logger, Name, handle.Id, username, false, 0, 0);
        }
        catch (Exception ex) when (IsBackendFailure(ex, cancellationToken))
        {
            throw Failure("revoke", handle, ex);
        }
    }

    public async ValueTask<bool> VerifyRevokedAsync(SecretHandle handle, CancellationToken cancellationToken)
    {
        var username = CheckHandle(handle, "verify");
        try
        {
            await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
            await using var command = new NpgsqlCommand(
                "SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1), EXISTS (SELECT 1 FROM pg_stat_activity WHERE usename = $1)", connection);
            command.Parameters.Add(new NpgsqlParameter { Value = username });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            var (roleExists, sessionOpen) = (reader.GetBoolean(0), reader.GetBoolean(1));
            if (roleExists || sessionOpen)
            {
                LogRevocationUnverified(_logger, Name, handle.Id, username, roleExists ? "the role still exists" : "a session of the role is still open");
                return false;
            }
        }
        catch (Exception ex) when (IsBackendFailure(ex, cancellationToken))
        {
            throw Failure("verify", handle, ex);
        }

        return await LoginRefusedAsync(handle, username, cancellationToken);
    }

    public ProviderDescription Describe() => new(
        Name, Kind, Resource, Target, _roles.Length == 0 ? "login only, no member roles" : "member of " + string.Join(", ", _roles));

    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();

    public void Dispose() => _dataSource.Dispose();

    /// <summary>The one statement that creates a secret: every name quoted, every value a literal, none from a request.</summary>
    internal string CreateRoleStatement(string username, string password, DateTimeOffset expiresAt)
    {
        var statement = $"CREATE ROLE {PostgreSqlSyntax.Identifier(username)} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT "
            + $"PASSWORD {PostgreSqlSyntax.Literal(PostgreSqlSyntax.ScramSha256Verifier(password))} VALID UNTIL {PostgreSqlSyntax.Timestamp(expiresAt)}";
        return _roles.Length == 0 ? statement : statement + " IN ROLE " + string.Join(", ", _roles.Select(PostgreSqlSyntax.Identifier));
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task<bool> RoleExistsAsync(NpgsqlConnection connection, string username, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = username });
        return (bool)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>Terminates every session of the role and waits for each to end; fails if any is left.</summary>
    private static async Task<int> EndSessionsAsync(NpgsqlConnection connection, string username, CancellationToken cancellationToken)
    {
        var ended = 0;
        await using (var terminate = new NpgsqlCommand(
            "SELECT pg_terminate_backend(pid, $2) FROM pg_stat_activity WHERE usename = $1 AND pid <> pg_backend_pid()", connection))
        {
            terminate.Parameters.Add(new NpgsqlParameter { Value = username });
            terminate.Parameters.Add(new NpgsqlParameter { Value = SessionEndTimeoutMilliseconds });
            await using var reader = await terminate.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                ended += reader.GetBoolean(0) ? 1 : 0;
            }
        }

        await using var left = new NpgsqlCommand("SELECT count(*) FROM pg_stat_activity WHERE usename = $1", connection);
        left.Parameters.Add(new NpgsqlParameter { Value = username });
        var remaining = (long)(await left.ExecuteScalarAsync(cancellationToken))!;
        if (remaining > 0)
        {
            throw new DownstreamException($"{remaining} session(s) of role {username} did not end within {SessionEndTimeoutMilliseconds} ms.") { Transient = true };
        }

        return ended;
    }

    /// <summary>The other databases where the role owns objects or holds privileges (DROP OWNED acts on one database).</summary>
    private static async Task<string[]> OtherDatabasesAsync(NpgsqlConnection connection, string username, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            """
            SELECT DISTINCT d.datname FROM pg_shdepend s JOIN pg_database d ON d.oid = s.dbid
            WHERE s.refclassid = 'pg_authid'::regclass AND s.refobjid = (SELECT oid FROM pg_roles WHERE rolname = $1)
              AND d.datname <> current_database() AND d.datallowconn
            """, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = username });
        var databases = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            databases.Add(reader.GetString(0));
        }

        return [.. databases];
    }

    private async Task DropOwnedInAsync(string database, string role, CancellationToken cancellationToken)
    {
        var there = new NpgsqlConnectionStringBuilder(_admin.ConnectionString) { Database = database, Pooling = false };
        await using var connection = new NpgsqlConnection(there.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await ExecuteAsync(connection, $"DROP OWNED BY {role}", cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>Tries to log in as the role with a password nobody has; true only when PostgreSQL refuses the login.</summary>
    private async Task<bool> LoginRefusedAsync(SecretHandle handle, string username, CancellationToken cancellationToken)
    {
        var probe = new NpgsqlConnectionStringBuilder(_admin.ConnectionString)
        {
            Username = username,
            Password = GeneratedCredentials.NewPassword(),
            Passfile = null,
            Pooling = false,
            ApplicationName = "credentialbroker-verify",
        };
        // A data source of its own, disposed after the probe. A connection made from a connection string instead would
        // register a data source in Npgsql's process-wide cache under that string, for the life of the process: every
        // probe's string is new (its role, a fresh password), so each verification would leak one, and registering one
        // sorts Npgsql's list of every live data source under a global lock — revocations slowed down as they went.
        await using var dataSource = NpgsqlDataSource.Create(probe);
        await using var connection = dataSource.CreateConnection();
        try
        {
            await connection.OpenAsync(cancellationToken);
        }
        catch (PostgresException ex) when (ex.SqlState.StartsWith("28", StringComparison.Ordinal))
        {
            // 28P01 password authentication failed, 28000 role does not exist / may not log in / no pg_hba entry.
            return true;
        }
        catch (Exception ex) when (IsBackendFailure(ex, cancellationToken))
        {
            throw Failure("verify", handle, ex);
        }

        LogRevocationUnverified(_logger, Name, handle.Id, username, "a login as the role succeeded");
        return false;
    }

    private string CheckHandle(SecretHandle handle, string operation)
    {
        ArgumentNullException.ThrowIfNull(handle);
        if (!string.Equals(handle.Provider, Name, StringComparison.Ordinal) || !GeneratedCredentials.IsGeneratedUsername(handle.Username))
        {
            throw new DownstreamException(
                $"PostgreSQL provider {Name}: refusing to {operation} {handle.Id}: its record does not name a role this provider generates.");
        }

        return handle.Username!;
    }

    private static bool IsBackendFailure(Exception ex, CancellationToken cancellationToken) =>
        ex is NpgsqlException or TimeoutException or IOException or SocketException
        || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested);

    /// <summary>
    /// A safe exception for a failed call: the message says where, what and why, and never holds a password or the
    /// connection string. Server errors are kept as text only (their statement would carry the SCRAM verifier).
    /// </summary>
    private DownstreamException Failure(string operation, SecretHandle handle, Exception ex, string? password = null)
    {
        var transient = ex is not PostgresException server
            || server.IsTransient
            || server.SqlState.StartsWith("08", StringComparison.Ordinal)
            || server.SqlState.StartsWith("53", StringComparison.Ordinal)
            || server.SqlState.StartsWith("57P", StringComparison.Ordinal);
        if (transient)
        {
            // The server went away or restarted: idle pooled connections are dead too.
            _dataSource.Clear();
        }

        var reason = ex is PostgresException postgres
            ? $"{postgres.SqlState} {postgres.MessageText}"
            : ex.InnerException is { } inner ? $"{ex.Message} ({inner.Message})" : ex.Message;
        var message = Scrub($"PostgreSQL {Target}: could not {operation} role {handle.Username} for {handle.Id}: {reason}", password);
        LogFailed(_logger, Name, operation, handle.Id, transient, message);
        return ex is PostgresException
            ? new DownstreamException(message) { Transient = transient }
            : new DownstreamException(message, ex) { Transient = transient };
    }

    private string Scrub(string text, string? password)
    {
        foreach (var secret in (string?[])[password, _admin.Password])
        {
            if (!string.IsNullOrEmpty(secret))
            {
                text = text.Replace(secret, "***", StringComparison.Ordinal);
            }
        }

        return text;
    }

    [LoggerMessage(EventId = 3050, EventName = "PostgreSqlRoleIssued", Level = LogLevel.Information,
        Message = "Provider {Provider} issued PostgreSQL role {Username} for {Id}, valid until {ExpiresAt}")]
    private static partial void LogRoleIssued(ILogger logger, string provider, string id, string username, DateTimeOffset expiresAt);

    [LoggerMessage(EventId = 3051, EventName = "PostgreSqlRoleRevoked", Level = LogLevel.Information,
        Message = "Provider {Provider} revoked PostgreSQL role {Username} for {Id} (existed: {Existed}, sessions ended: {SessionsEnded}, other databases cleaned: {OtherDatabases})")]
    private static partial void LogRoleRevoked(ILogger logger, string provider, string id, string username, bool existed, int sessionsEnded, int otherDatabases);

    [LoggerMessage(EventId = 3052, EventName = "PostgreSqlRevocationUnverified", Level = LogLevel.Warning,
        Message = "Provider {Provider}: PostgreSQL role {Username} for {Id} is not yet dead: {Reason}")]
    private static partial void LogRevocationUnverified(ILogger logger, string provider, string id, string username, string reason);

    [LoggerMessage(EventId = 3053, EventName = "PostgreSqlCallFailed", Level = LogLevel.Warning,
        Message = "Provider {Provider}: {Operation} of {Id} failed (transient: {Transient}): {Reason}")]
    private static partial void LogFailed(ILogger logger, string provider, string operation, string id, bool transient, string reason);
}
