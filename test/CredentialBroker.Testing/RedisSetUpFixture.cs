namespace CredentialBroker.Testing;

/// <summary>
/// Base of each test assembly's <c>[SetUpFixture]</c>: one real redis-server for the whole assembly (or
/// <c>CB_TEST_REDIS</c>). Tests isolate by key prefix.
/// </summary>
public abstract class RedisSetUpFixture
{
    /// <summary>The shared server.</summary>
    public static RedisServer Server { get; private set; } = null!;

    /// <summary>Starts the server.</summary>
    protected static async Task StartServerAsync() => Server = await RedisServer.StartSharedAsync();

    /// <summary>Stops the server.</summary>
    protected static async Task StopServerAsync() => await Server.DisposeAsync();
}
