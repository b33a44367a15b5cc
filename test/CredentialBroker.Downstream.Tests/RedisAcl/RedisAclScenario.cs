using System.Globalization;
using System.Security.Cryptography;
using CredentialBroker.Downstream.Providers;
using CredentialBroker.Downstream.RedisAcl;
using CredentialBroker.Testing;
using Microsoft.Extensions.Logging.Testing;

namespace CredentialBroker.Downstream.Tests.RedisAcl;

/// <summary>One test's world on Redis: issued users may GET keys under a prefix of their own and nothing else.</summary>
internal sealed class RedisAclScenario : IAsyncDisposable
{
    /// <summary>
    /// The broker's admin user with least privilege, exactly as docs/backends.md gives it: the three ACL subcommands
    /// it runs, CLIENT KILL, CLUSTER NODES (topology), and the connection commands StackExchange.Redis needs to
    /// connect (AUTH, HELLO, CLIENT SETNAME/ID, ECHO, PING, READONLY); no keys, no channels.
    /// </summary>
    public const string AdminRules = "resetkeys resetchannels -@all +@connection +acl|setuser +acl|deluser +acl|getuser +client|kill +cluster|nodes";

    private readonly List<RedisAclSecretProvider> _providers = [];

    public RedisAclScenario()
    {
        Prefix = "app_" + RandomNumberGenerator.GetHexString(10, lowercase: true);
    }

    /// <summary>The key prefix issued users may read.</summary>
    public string Prefix { get; }

    /// <summary>The provider's ACL rules: GET on the prefix's keys.</summary>
    public string Acl => $"~{Prefix}:* +get";

    public FakeLogCollector Logs { get; } = new();

    public Secrets.RecordingPasswords Passwords { get; } = new();

    public static ProviderOptions Options(string connectionString, string acl) =>
        new() { Kind = "redis", Resource = "redis://sessions", ConnectionString = connectionString, Acl = acl };

    public RedisAclSecretProvider Provider(string connectionString, string? acl = null)
    {
        var provider = new RedisAclSecretProvider("sessions", Options(connectionString, acl ?? Acl), new FakeLogger<RedisAclSecretProvider>(Logs), Passwords.Next);
        _providers.Add(provider);
        return provider;
    }

    /// <summary>A new connection to <paramref name="endpoint"/> (host:port) and the reply to AUTH with the user and password.</summary>
    public static async Task<(RespConnection Connection, RespReply Auth)> LogInAsync(string endpoint, string username, string password)
    {
        var (host, port) = Split(endpoint);
        var connection = await RespConnection.ConnectAsync(host, port);
        return (connection, await connection.SendAsync("AUTH", username, password));
    }

    /// <summary>A new connection to <paramref name="endpoint"/> as the default user.</summary>
    public static Task<RespConnection> ConnectAsync(string endpoint)
    {
        var (host, port) = Split(endpoint);
        return RespConnection.ConnectAsync(host, port);
    }

    /// <summary>Creates the least-privilege admin user on <paramref name="endpoints"/> and returns its configuration string for the first.</summary>
    public static async Task<string> CreateAdminAsync(string name, string password, string rules, params string[] endpoints)
    {
        foreach (var endpoint in endpoints)
        {
            await using var connection = await ConnectAsync(endpoint);
            var reply = await connection.SendAsync(["ACL", "SETUSER", name, "reset", "on", ">" + password, .. rules.Split(' ')]);
            Assert.That(reply.Text, Is.EqualTo("OK"), reply.ToString());
        }

        return $"{endpoints[0]},user={name},password={password}";
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var provider in _providers)
        {
            await provider.DisposeAsync();
        }
    }

    private static (string Host, int Port) Split(string endpoint)
    {
        var colon = endpoint.LastIndexOf(':');
        return (endpoint[..colon], int.Parse(endpoint[(colon + 1)..], CultureInfo.InvariantCulture));
    }
}
