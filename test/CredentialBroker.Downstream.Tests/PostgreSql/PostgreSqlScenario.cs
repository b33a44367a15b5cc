using System.Security.Cryptography;
using CredentialBroker.Downstream.PostgreSql;
using CredentialBroker.Downstream.Providers;
using CredentialBroker.Testing;
using Microsoft.Extensions.Logging.Testing;
using Npgsql;

namespace CredentialBroker.Downstream.Tests.PostgreSql;

/// <summary>
/// One test's world on a PostgreSQL server: a member role <c>reader_…</c> that may read table <c>t_…</c> (two rows) and
/// nothing else, and a provider whose secrets become members of it — all with names of their own.
/// </summary>
internal sealed class PostgreSqlScenario : IAsyncDisposable
{
    private readonly List<PostgreSqlSecretProvider> _providers = [];
    private readonly List<string> _roles = [];

    private PostgreSqlScenario(PostgresServer server)
    {
        Server = server;
        var suffix = RandomNumberGenerator.GetHexString(10, lowercase: true);
        Reader = "reader_" + suffix;
        Table = "t_" + suffix;
    }

    public PostgresServer Server { get; }

    public string Reader { get; }

    public string Table { get; }

    public FakeLogCollector Logs { get; } = new();

    public Secrets.RecordingPasswords Passwords { get; } = new();

    public static async Task<PostgreSqlScenario> CreateAsync(PostgresServer server)
    {
        var scenario = new PostgreSqlScenario(server);
        await scenario.CreateRoleAsync(scenario.Reader);
        await server.ExecuteAsSuperuserAsync(
            $"CREATE TABLE {scenario.Table} (id int); INSERT INTO {scenario.Table} VALUES (1), (2); GRANT SELECT ON {scenario.Table} TO {scenario.Reader}");
        return scenario;
    }

    /// <summary>
    /// Creates a NOLOGIN role secrets may join. On PostgreSQL 16 and later a CREATEROLE role may grant only roles it
    /// holds with ADMIN OPTION (docs/backends.md), so the admin gets exactly that there, and nothing on 15.
    /// </summary>
    public async Task CreateRoleAsync(string role)
    {
        await Server.ExecuteAsSuperuserAsync($"CREATE ROLE {role} NOLOGIN");
        _roles.Add(role);
        if (Server.VersionNumber >= 160000)
        {
            await Server.ExecuteAsSuperuserAsync($"GRANT {role} TO \"{Server.AdminRole}\" WITH ADMIN OPTION");
        }
    }

    public static ProviderOptions Options(string connectionString, params string[] roles)
    {
        var options = new ProviderOptions { Kind = "postgresql", Resource = "postgres://payments", ConnectionString = connectionString };
        foreach (var role in roles)
        {
            options.Roles.Add(role);
        }

        return options;
    }

    /// <summary>A provider with the admin connection string and <paramref name="roles"/> (default: the scenario's reader role).</summary>
    public PostgreSqlSecretProvider Provider(params string[] roles)
    {
        var provider = new PostgreSqlSecretProvider(
            "payments", Options(Server.AdminConnectionString, roles.Length == 0 ? [Reader] : roles),
            new FakeLogger<PostgreSqlSecretProvider>(Logs), Passwords.Next);
        _providers.Add(provider);
        return provider;
    }

    /// <summary>An open session as the issued role.</summary>
    public async Task<NpgsqlConnection> LogInAsync(IssuedSecret secret)
    {
        var connection = new NpgsqlConnection(Server.LoginConnectionString((string)secret.Fields["username"], secret.Secret));
        await connection.OpenAsync();
        return connection;
    }

    public static async Task<long> CountAsync(NpgsqlConnection connection, string table)
    {
        await using var command = new NpgsqlCommand($"SELECT count(*) FROM {table}", connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    public static async Task ExecuteAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    public async Task<bool> RoleExistsAsync(string role) =>
        (await Server.QueryAsSuperuserAsync<bool>("SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)", role))[0];

    /// <summary>
    /// Closes the providers and, on a server given by CB_TEST_POSTGRES, removes what the test left there: the roles
    /// issued as members of this scenario's roles, those roles, and the table (a private cluster is deleted whole).
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var provider in _providers)
        {
            await provider.DisposeAsync();
        }

        if (!Server.IsExternal || _roles.Count == 0)
        {
            return;
        }

        var issued = await Server.QueryAsSuperuserAsync<string>(
            "SELECT DISTINCT u.rolname FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid JOIN pg_roles u ON u.oid = m.member WHERE r.rolname = ANY($1) AND u.rolname ~ '^cb_[a-z2-7]{24}$'",
            new object[] { _roles.ToArray() });
        foreach (var role in issued.Concat(_roles))
        {
            await Server.ExecuteAsSuperuserAsync($"DROP OWNED BY \"{role}\"; DROP ROLE \"{role}\"");
        }

        await Server.ExecuteAsSuperuserAsync($"DROP TABLE IF EXISTS {Table}");
    }
}
