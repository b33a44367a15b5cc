using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using CredentialBroker.Testing;

namespace CredentialBroker.LoadHarness;

/// <summary>
/// A second private redis-server (not the broker's store) whose ACL users are the secrets, with the broker's admin
/// user given the least privilege docs/backends.md lists, and a key the secrets may read.
/// </summary>
internal sealed class RedisAclBackendUnderTest : SecretBackendUnderTest
{
    private const string AdminRules = "resetkeys resetchannels -@all +@connection +acl|setuser +acl|deluser +acl|getuser +client|kill +cluster|nodes";
    private const string Prefix = "sessions";
    private readonly RedisServer _server;
    private readonly string _admin = "cb_admin_" + RandomNumberGenerator.GetHexString(8, lowercase: true);
    private readonly string _adminPassword = RandomNumberGenerator.GetHexString(32, lowercase: true);

    private RedisAclBackendUnderTest(RedisServer server) => _server = server;

    public override string Kind => "redis";

    public override string Provider => "sessions";

    public override string Resource => "redis://sessions";

    private (string Host, int Port) Endpoint => ParseEndpoint(_server.ConnectionString.Split(',')[0]);

    public static async Task<RedisAclBackendUnderTest> StartAsync()
    {
        var backend = new RedisAclBackendUnderTest(await RedisServer.StartPrivateAsync());
        try
        {
            var (host, port) = backend.Endpoint;
            await using var connection = await RespConnection.ConnectAsync(host, port);
            var admin = await connection.SendAsync(["ACL", "SETUSER", backend._admin, "reset", "on", ">" + backend._adminPassword, .. AdminRules.Split(' ')]);
            var key = await connection.SendAsync("SET", Prefix + ":k", "v");
            if (admin.Text != "OK" || key.Text != "OK")
            {
                throw new InvalidOperationException($"Could not set up the Redis ACL backend: ACL SETUSER answered {admin.Kind}, SET answered {key.Kind}.");
            }

            return backend;
        }
        catch
        {
            await backend.DisposeAsync();
            throw;
        }
    }

    protected override IEnumerable<(string Name, string Value)> ProviderSettings
    {
        get
        {
            var (host, port) = Endpoint;
            yield return ("ConnectionString", $"{host}:{port},user={_admin},password={_adminPassword}");
            yield return ("Acl", $"~{Prefix}:* +get");
        }
    }

    public override async Task<bool> LogsInAsync(JsonObject secret)
    {
        ArgumentNullException.ThrowIfNull(secret);
        var (host, port) = ParseEndpoint((string)secret["endpoints"]!.AsArray()[0]!);
        await using var connection = await RespConnection.ConnectAsync(host, port);
        var auth = await connection.SendAsync("AUTH", (string)secret["username"]!, (string)secret["password"]!);
        if (!auth.IsError)
        {
            return true;
        }

        // The error names no password (Redis never echoes it); anything but WRONGPASS is no answer about the secret.
        return auth.Text?.StartsWith("WRONGPASS", StringComparison.Ordinal) == true
            ? false
            : throw new InvalidOperationException($"Redis answered AUTH with an unexpected error: {auth.Text}");
    }

    public override string ToString() => $"Redis ACL users on {_server.ConnectionString}";

    public override async ValueTask DisposeAsync() => await _server.DisposeAsync();

    private static (string Host, int Port) ParseEndpoint(string endpoint)
    {
        var colon = endpoint.LastIndexOf(':');
        return (endpoint[..colon], int.Parse(endpoint[(colon + 1)..], CultureInfo.InvariantCulture));
    }
}
