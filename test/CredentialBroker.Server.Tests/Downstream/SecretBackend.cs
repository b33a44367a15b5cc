using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using CredentialBroker.Testing;
using Npgsql;

namespace CredentialBroker.Server.Tests.Downstream;

/// <summary>
/// A real downstream backend as one test sees it: the broker's provider settings for it, and logins with an issued
/// secret (a new one, and the session it opens) to prove the secret works — or that it no longer does.
/// </summary>
internal abstract class SecretBackend : IAsyncDisposable
{
    /// <summary>The provider name the settings use.</summary>
    public const string Provider = "db";

    /// <summary>The provider kind: <c>postgresql</c> or <c>redis</c>.</summary>
    public abstract string Kind { get; }

    /// <summary>The resource grants and exchanges name.</summary>
    public abstract string Resource { get; }

    /// <summary>Whether this backend runs on a server of its own, which the test may stop and start.</summary>
    public bool Private { get; protected init; }

    public static async Task<SecretBackend> CreateAsync(string kind, bool privateServer = false) => kind switch
    {
        "postgresql" => await PostgreSqlBackend.CreateAsync(privateServer),
        "redis" => await RedisBackend.CreateAsync(privateServer),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    /// <summary>The PostgreSQL server the tests of this assembly share (started on first use).</summary>
    public static Task<PostgresServer> SharedPostgresAsync() => PostgreSqlBackend.Shared.Value;

    /// <summary>Stops the shared PostgreSQL server, if a test started it.</summary>
    public static Task DisposeSharedAsync() => PostgreSqlBackend.StopSharedAsync();

    /// <summary>Writes this backend's provider settings (as an operator would) into <paramref name="settings"/>.</summary>
    public virtual void Configure(IDictionary<string, string> settings, TimeSpan? maxTtl = null)
    {
        var at = $"CredentialBroker:Downstream:Providers:{Provider}";
        settings[at + ":Kind"] = Kind;
        settings[at + ":Resource"] = Resource;
        settings[at + ":MaxTtl"] = (maxTtl ?? TimeSpan.FromMinutes(5)).ToString("c", CultureInfo.InvariantCulture);
    }

    /// <summary>Logs in with the <c>secret</c> object of an exchange response: an open session, or <see langword="null"/> when the backend refuses the login.</summary>
    public abstract Task<Session?> LogInAsync(JsonObject secret);

    public abstract Task StopAsync();

    public abstract Task StartAsync();

    public abstract ValueTask DisposeAsync();

    /// <summary>An open session with an issued secret.</summary>
    internal abstract class Session : IAsyncDisposable
    {
        /// <summary>Runs what the secret allows; <see langword="false"/> when the session was cut.</summary>
        public abstract Task<bool> WorksAsync();

        public abstract ValueTask DisposeAsync();
    }

    private sealed class PostgreSqlBackend : SecretBackend
    {
        public static readonly Lazy<Task<PostgresServer>> Shared = new(PostgresServer.StartSharedAsync);
        private readonly string _reader = "reader_" + RandomNumberGenerator.GetHexString(10, lowercase: true);
        private string Table => "t" + _reader;

        private PostgreSqlBackend(PostgresServer server) => Server = server;

        public PostgresServer Server { get; }

        public override string Kind => "postgresql";

        public override string Resource => "postgres://payments";

        public static async Task StopSharedAsync()
        {
            if (Shared.IsValueCreated)
            {
                await (await Shared.Value).DisposeAsync();
            }
        }

        public static async Task<SecretBackend> CreateAsync(bool privateServer)
        {
            var backend = new PostgreSqlBackend(privateServer ? await PostgresServer.StartPrivateAsync() : await Shared.Value) { Private = privateServer };
            await backend.Server.ExecuteAsSuperuserAsync($"CREATE ROLE {backend._reader} NOLOGIN");
            if (backend.Server.VersionNumber >= 160000)
            {
                await backend.Server.ExecuteAsSuperuserAsync($"GRANT {backend._reader} TO \"{backend.Server.AdminRole}\" WITH ADMIN OPTION");
            }

            await backend.Server.ExecuteAsSuperuserAsync($"CREATE TABLE {backend.Table} (id int); INSERT INTO {backend.Table} VALUES (1), (2); GRANT SELECT ON {backend.Table} TO {backend._reader}");
            return backend;
        }

        public override void Configure(IDictionary<string, string> settings, TimeSpan? maxTtl = null)
        {
            base.Configure(settings, maxTtl);
            settings[$"CredentialBroker:Downstream:Providers:{Provider}:ConnectionString"] = Server.AdminConnectionString;
            settings[$"CredentialBroker:Downstream:Providers:{Provider}:Roles:0"] = _reader;
        }

        public override async Task<Session?> LogInAsync(JsonObject secret)
        {
            Assert.Multiple(() =>
            {
                Assert.That((string?)secret["host"], Is.EqualTo(Server.Host));
                Assert.That((int?)secret["port"], Is.EqualTo(Server.Port));
                Assert.That((string?)secret["database"], Is.EqualTo(Server.Database));
            });
            var connection = new NpgsqlConnection(Server.LoginConnectionString((string)secret["username"]!, (string)secret["password"]!));
            try
            {
                await connection.OpenAsync();
            }
            catch (PostgresException ex) when (ex.SqlState.StartsWith("28", StringComparison.Ordinal))
            {
                await connection.DisposeAsync();
                return null;
            }

            return new PostgreSqlSession(connection, Table);
        }

        public override Task StopAsync() => Server.StopAsync();

        public override Task StartAsync() => Server.StartAsync();

        public override async ValueTask DisposeAsync()
        {
            if (Private)
            {
                await Server.DisposeAsync();
            }
        }

        private sealed class PostgreSqlSession(NpgsqlConnection connection, string table) : Session
        {
            public override async Task<bool> WorksAsync()
            {
                try
                {
                    await using var command = new NpgsqlCommand($"SELECT count(*) FROM {table}", connection);
                    return (long)(await command.ExecuteScalarAsync())! == 2;
                }
                catch (NpgsqlException)
                {
                    return false;
                }
            }

            public override ValueTask DisposeAsync() => connection.DisposeAsync();
        }
    }

    private sealed class RedisBackend : SecretBackend
    {
        private const string AdminRules = "resetkeys resetchannels -@all +@connection +acl|setuser +acl|deluser +acl|getuser +client|kill +cluster|nodes";
        private readonly string _prefix = "app_" + RandomNumberGenerator.GetHexString(10, lowercase: true);
        private readonly string _admin = "cb_admin_" + RandomNumberGenerator.GetHexString(8, lowercase: true);
        private readonly string _adminPassword = RandomNumberGenerator.GetHexString(32, lowercase: true);
        private readonly RedisServer _server;

        private RedisBackend(RedisServer server) => _server = server;

        public override string Kind => "redis";

        public override string Resource => "redis://sessions";

        private (string Host, int Port) Endpoint
        {
            get
            {
                var endpoint = _server.ConnectionString.Split(',')[0];
                var colon = endpoint.LastIndexOf(':');
                return (endpoint[..colon], int.Parse(endpoint[(colon + 1)..], CultureInfo.InvariantCulture));
            }
        }

        public static async Task<SecretBackend> CreateAsync(bool privateServer)
        {
            var backend = new RedisBackend(privateServer ? await RedisServer.StartPrivateAsync() : RedisFixture.Server) { Private = privateServer };
            await backend.CreateAdminAsync();
            return backend;
        }

        /// <summary>The broker's admin user with the least privilege docs/backends.md gives, and a key its users may read.</summary>
        private async Task CreateAdminAsync()
        {
            var (host, port) = Endpoint;
            await using var connection = await RespConnection.ConnectAsync(host, port);
            var reply = await connection.SendAsync(["ACL", "SETUSER", _admin, "reset", "on", ">" + _adminPassword, .. AdminRules.Split(' ')]);
            Assert.That(reply.Text, Is.EqualTo("OK"), reply.ToString());
            Assert.That((await connection.SendAsync("SET", _prefix + ":k", "v")).Text, Is.EqualTo("OK"));
        }

        public override void Configure(IDictionary<string, string> settings, TimeSpan? maxTtl = null)
        {
            base.Configure(settings, maxTtl);
            var (host, port) = Endpoint;
            settings[$"CredentialBroker:Downstream:Providers:{Provider}:ConnectionString"] = $"{host}:{port},user={_admin},password={_adminPassword}";
            settings[$"CredentialBroker:Downstream:Providers:{Provider}:Acl"] = $"~{_prefix}:* +get";
        }

        public override async Task<Session?> LogInAsync(JsonObject secret)
        {
            var (host, port) = Endpoint;
            Assert.That(secret["endpoints"]!.AsArray().Select(e => (string?)e), Does.Contain($"{host}:{port}"));
            var connection = await RespConnection.ConnectAsync(host, port);
            var auth = await connection.SendAsync("AUTH", (string)secret["username"]!, (string)secret["password"]!);
            if (auth.IsError)
            {
                Assert.That(auth.Text, Does.StartWith("WRONGPASS"));
                await connection.DisposeAsync();
                return null;
            }

            return new RedisSession(connection, _prefix + ":k");
        }

        public override async Task StopAsync() => await _server.StopAsync();

        public override async Task StartAsync()
        {
            await _server.StartAsync();
            await CreateAdminAsync(); // a private test server keeps no ACL file: the operator's admin user comes back with it
        }

        public override async ValueTask DisposeAsync()
        {
            if (Private)
            {
                await _server.DisposeAsync();
            }
        }

        private sealed class RedisSession(RespConnection connection, string key) : Session
        {
            public override async Task<bool> WorksAsync()
            {
                try
                {
                    return (await connection.SendAsync("GET", key)).Text == "v";
                }
                catch (IOException)
                {
                    return false;
                }
            }

            public override ValueTask DisposeAsync() => connection.DisposeAsync();
        }
    }
}
