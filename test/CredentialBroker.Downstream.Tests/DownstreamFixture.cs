using CredentialBroker.Testing;

namespace CredentialBroker.Downstream.Tests;

/// <summary>
/// One real PostgreSQL (a private cluster, or <c>CB_TEST_POSTGRES</c>) and one real redis-server (or <c>CB_TEST_REDIS</c>)
/// for the whole assembly, started side by side. Tests isolate by generated role, user and key names.
/// </summary>
[SetUpFixture]
public sealed class DownstreamFixture : RedisSetUpFixture
{
    /// <summary>The shared PostgreSQL server.</summary>
    public static PostgresServer Postgres { get; private set; } = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        var postgres = PostgresServer.StartSharedAsync();
        await StartServerAsync();
        Postgres = await postgres;
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        await StopServerAsync();
        if (Postgres is not null)
        {
            await Postgres.DisposeAsync();
        }
    }
}
