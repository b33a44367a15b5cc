using CredentialBroker.Testing;

namespace CredentialBroker.Server.Tests;

[SetUpFixture]
public sealed class RedisFixture : RedisSetUpFixture
{
    [OneTimeSetUp]
    public Task StartAsync() => StartServerAsync();

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        await StopServerAsync();
        await Downstream.SecretBackend.DisposeSharedAsync();
    }
}
