using CredentialBroker.Testing;

namespace CredentialBroker.Server.Tests;

/// <summary>Starts one real redis-server for the whole assembly (or uses CB_TEST_REDIS). Tests isolate by key prefix.</summary>
[SetUpFixture]
public sealed class RedisFixture
{
    public static RedisServer Server { get; private set; } = null!;

    [OneTimeSetUp]
    public async Task StartAsync() => Server = await RedisServer.StartSharedAsync();

    [OneTimeTearDown]
    public async Task StopAsync() => await Server.DisposeAsync();
}
