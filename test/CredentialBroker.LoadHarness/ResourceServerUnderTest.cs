using System.Collections.Concurrent;
using CredentialBroker.Client.ResourceServers;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace CredentialBroker.LoadHarness;

/// <summary>
/// A resource server protected by the client library, following the broker's revocation feed over real HTTP.
/// Requests are authenticated through the real JwtBearer pipeline without a web server in front; the presenting
/// workload is given directly (where a real server reads it from the TLS client certificate).
/// </summary>
internal sealed class ResourceServerUnderTest : IAsyncDisposable
{
    private const string PresenterItem = "presenter";
    private readonly ServiceProvider _services;
    private readonly List<IHostedService> _hosted;
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _awaited = new(StringComparer.Ordinal);

    private ResourceServerUnderTest(ServiceProvider services)
    {
        _services = services;
        _hosted = [.. services.GetServices<IHostedService>()];
    }

    /// <summary>Every revocation applied from the feed, with the wall-clock time it was applied.</summary>
    public ConcurrentQueue<(RevokedCredential Revocation, DateTimeOffset AppliedAt)> Applied { get; } = new();

    public static async Task<ResourceServerUnderTest> StartAsync(BrokerUnderTest broker, string audience)
    {
        ResourceServerUnderTest? server = null;
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddAuthentication(BrokerAuthenticationExtensions.DefaultScheme).AddCredentialBroker(options =>
        {
            options.Issuer = broker.Url;
            options.Audience = audience;
            options.RequireHttps = false;
            options.CallerToken = _ => ValueTask.FromResult(broker.Svid("/resource-server"));
            options.PresenterId = http => http.Items[PresenterItem] as string;
            options.OnRevoked = revoked => server!.OnRevoked(revoked);
        });
        server = new ResourceServerUnderTest(services.BuildServiceProvider());
        foreach (var hosted in server._hosted)
        {
            await hosted.StartAsync(CancellationToken.None);
        }

        await server._services.GetRequiredKeyedService<RevocationFeedFollower>(BrokerAuthenticationExtensions.DefaultScheme)
            .WhenCurrentAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
        return server;
    }

    /// <summary>Completes when the feed has brought the revocation of <paramref name="jti"/>.</summary>
    public Task RevokedAsync(string jti) => _awaited.GetOrAdd(jti, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

    /// <summary>Whether a request bearing <paramref name="token"/>, presented by <paramref name="presenter"/>, is authenticated.</summary>
    public async Task<bool> AcceptsAsync(string token, string presenter)
    {
        await using var scope = _services.CreateAsyncScope();
        var http = new DefaultHttpContext { RequestServices = scope.ServiceProvider };
        http.Request.Headers.Authorization = "Bearer " + token;
        http.Items[PresenterItem] = presenter;
        return (await http.AuthenticateAsync(BrokerAuthenticationExtensions.DefaultScheme)).Succeeded;
    }

    private void OnRevoked(RevokedCredential revoked)
    {
        Applied.Enqueue((revoked, TimeProvider.System.GetUtcNow()));
        _awaited.GetOrAdd(revoked.Jti, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var hosted in _hosted)
        {
            await hosted.StopAsync(CancellationToken.None);
        }

        await _services.DisposeAsync();
    }
}
