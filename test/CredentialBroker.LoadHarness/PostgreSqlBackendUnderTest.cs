using System.Globalization;
using System.Text.Json.Nodes;
using CredentialBroker.Testing;
using Npgsql;

namespace CredentialBroker.LoadHarness;

/// <summary>
/// A private PostgreSQL cluster on a free loopback port, set up as docs/backends.md tells an operator: the broker's
/// admin role (LOGIN CREATEROLE, not a superuser), a NOLOGIN member role that may SELECT one table (on PostgreSQL 16
/// and later granted to the admin role WITH ADMIN OPTION), and a provider serving <see cref="Resource"/>.
/// </summary>
internal sealed class PostgreSqlBackendUnderTest : SecretBackendUnderTest
{
    /// <summary>The logins the provider generates (docs/backends.md): the admin and superuser roles start with <c>cb_</c> too.</summary>
    private const string GeneratedRolePattern = "^cb_[a-z2-7]{24}$";

    private const string MemberRole = "payments_reader";

    private readonly PostgresServer _server;
    private readonly int _maxPoolSize;

    private PostgreSqlBackendUnderTest(PostgresServer server, int maxPoolSize)
    {
        _server = server;
        _maxPoolSize = maxPoolSize;
    }

    public override string Kind => "postgresql";

    public override string Provider => "payments";

    public override string Resource => "postgres://payments";

    /// <summary>The server's <c>server_version_num</c>.</summary>
    public int VersionNumber => _server.VersionNumber;

    /// <param name="maxPoolSize">
    /// The admin connection string's <c>Maximum Pool Size</c>; 0 turns pooling off (every statement batch then opens a
    /// connection, which on PostgreSQL is a new server process and a SCRAM handshake).
    /// </param>
    public static async Task<PostgreSqlBackendUnderTest> StartAsync(int maxPoolSize)
    {
        var server = await PostgresServer.StartPrivateAsync();
        try
        {
            await server.ExecuteAsSuperuserAsync($"CREATE ROLE {MemberRole} NOLOGIN");
            if (server.VersionNumber >= 160000)
            {
                await server.ExecuteAsSuperuserAsync($"GRANT {MemberRole} TO \"{server.AdminRole}\" WITH ADMIN OPTION");
            }

            await server.ExecuteAsSuperuserAsync($"CREATE TABLE invoices (id int); INSERT INTO invoices VALUES (1), (2); GRANT SELECT ON invoices TO {MemberRole}");
            return new PostgreSqlBackendUnderTest(server, maxPoolSize);
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    protected override IEnumerable<(string Name, string Value)> ProviderSettings
    {
        get
        {
            // The test fixture's admin connection string is unpooled (tests open few connections); an operator's is pooled.
            var admin = new NpgsqlConnectionStringBuilder(_server.AdminConnectionString) { Pooling = _maxPoolSize > 0 };
            if (_maxPoolSize > 0)
            {
                admin.MaxPoolSize = _maxPoolSize;
            }

            yield return ("ConnectionString", admin.ConnectionString);
            yield return ("Roles__0", MemberRole);
        }
    }

    /// <summary>The admin connection string's pooling, as the results table states it.</summary>
    public string Pooling => _maxPoolSize > 0 ? $"Maximum Pool Size={_maxPoolSize}" : "Pooling=false";

    public override async Task<bool> LogsInAsync(JsonObject secret)
    {
        ArgumentNullException.ThrowIfNull(secret);
        var login = new NpgsqlConnectionStringBuilder
        {
            Host = (string)secret["host"]!,
            Port = (int)secret["port"]!,
            Database = (string)secret["database"]!,
            Username = (string)secret["username"]!,
            Password = (string)secret["password"]!,
            Pooling = false,
            Timeout = 30,
        };
        // A data source per login, disposed with it: Npgsql would otherwise keep one per connection string for good.
        await using var dataSource = NpgsqlDataSource.Create(login);
        await using var connection = dataSource.CreateConnection();
        try
        {
            await connection.OpenAsync();
        }
        catch (PostgresException ex) when (ex.SqlState.StartsWith("28", StringComparison.Ordinal))
        {
            // 28P01 password authentication failed, 28000 the role does not exist or may not log in.
            return false;
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.AdminShutdown)
        {
            // 57P01: the login got in as the revocation ran, and the broker cut the role's sessions (pg_terminate_backend)
            // before the connection was usable: the secret is being destroyed, and this session with it.
            return false;
        }

        return true;
    }

    /// <summary>How many roles of the generated <c>cb_…</c> shape exist.</summary>
    public async Task<long> GeneratedRolesAsync() =>
        (await _server.QueryAsSuperuserAsync<long>("SELECT count(*) FROM pg_roles WHERE rolname ~ $1", GeneratedRolePattern)).Single();

    /// <summary>How many of <paramref name="usernames"/> still exist as roles.</summary>
    public async Task<long> ExistingRolesAsync(IReadOnlyCollection<string> usernames) =>
        (await _server.QueryAsSuperuserAsync<long>("SELECT count(*) FROM pg_roles WHERE rolname = ANY($1)", (object)usernames.ToArray())).Single(); // one parameter, not params

    public override string ToString() =>
        $"PostgreSQL {VersionNumber / 10000}.{(VersionNumber % 10000).ToString(CultureInfo.InvariantCulture)} on {_server.Host}:{_server.Port}, admin {Pooling}";

    public override async ValueTask DisposeAsync() => await _server.DisposeAsync();
}
