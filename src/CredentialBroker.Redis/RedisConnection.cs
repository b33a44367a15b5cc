using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace CredentialBroker.Redis;

/// <summary>
/// The broker's one Redis connection, opened asynchronously when the host starts — before the revoker's jobs and the
/// first request need it. Opening it synchronously on first use blocks thread-pool threads that the handshake itself
/// needs; on a small machine that starves the connect past its timeout and delays readiness by seconds.
/// </summary>
internal sealed class RedisConnection(IOptions<RedisStoreOptions> options) : IAsyncDisposable
{
    private readonly Lazy<Task<ConnectionMultiplexer>> _connecting = new(() => ConnectionMultiplexer.ConnectAsync(RedisStoreBuilderExtensions.Configuration(options.Value)));

    /// <summary>The connection; opened here if the host did not start it (a store used without a host).</summary>
    public ConnectionMultiplexer Multiplexer => _connecting.Value.GetAwaiter().GetResult();

    /// <summary>Opens the connection (with the store's options it returns after the connect timeout even if Redis is down).</summary>
    public Task ConnectAsync() => _connecting.Value;

    public async ValueTask DisposeAsync()
    {
        if (_connecting.IsValueCreated)
        {
            await (await _connecting.Value).DisposeAsync();
        }
    }

    /// <summary>Opens the connection while the host starts, ahead of every other hosted service.</summary>
    internal sealed class Starter(RedisConnection connection) : IHostedLifecycleService
    {
        public Task StartingAsync(CancellationToken cancellationToken) => connection.ConnectAsync().WaitAsync(cancellationToken);

        public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
