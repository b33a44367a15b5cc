using System.Security.Cryptography.X509Certificates;
using CredentialBroker.Client.ResourceServers;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace CredentialBroker.Server.Tests.ResourceServers;

/// <summary>
/// A resource server (in memory) protected by the CredentialBroker client library, talking to a <see cref="BrokerApp"/>
/// over its in-memory HTTP handler: discovery, JWKS, the revocation feed and introspection are the broker's real endpoints.
/// </summary>
internal sealed class ResourceServer : IAsyncDisposable
{
    public const string Audience = "postgres://payments";

    private readonly Outage _outage;
    private readonly WebApplication _app;

    private ResourceServer(WebApplication app, Outage outage)
    {
        _app = app;
        _outage = outage;
    }

    /// <summary>While set, requests to the broker's feed fail with 502 (a proxy in between that breaks event streams, say).</summary>
    public bool FeedBlocked
    {
        get => _outage.FeedBlocked;
        set => _outage.FeedBlocked = value;
    }

    /// <summary>While set, requests for the broker's status lists fail with 502.</summary>
    public bool StatusListsBlocked
    {
        get => _outage.StatusListsBlocked;
        set => _outage.StatusListsBlocked = value;
    }

    public static async Task<ResourceServer> StartAsync(BrokerApp broker, Action<BrokerTokenOptions>? configure = null, Action<IServiceCollection>? services = null, bool feedBlocked = false, Action<WebApplication>? endpoints = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseTestServer();
        var outage = new Outage { FeedBlocked = feedBlocked };
        builder.Services.AddHttpClient(BrokerAuthenticationExtensions.HttpClientName)
            .ConfigurePrimaryHttpMessageHandler(() => broker.Server.CreateHandler())
            .AddHttpMessageHandler(() => new OutageHandler(outage));
        builder.Services.AddAuthentication(BrokerAuthenticationExtensions.DefaultScheme).AddCredentialBroker(options =>
        {
            options.Issuer = broker.Issuer;
            options.Audience = Audience;
            options.CallerToken = _ => ValueTask.FromResult(broker.Svid(BrokerApp.ResourceServer));
            configure?.Invoke(options);
        });
        builder.Services.AddAuthorization();
        services?.Invoke(builder.Services);
        var app = builder.Build();
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapGet("/rows", (HttpContext http) => http.User.FindFirst("sub")?.Value).RequireAuthorization();
        endpoints?.Invoke(app);
        await app.StartAsync();
        return new ResourceServer(app, outage);
    }

    public IServiceProvider Services => _app.Services;

    public RevocationFeedFollower Feed => _app.Services.GetRequiredKeyedService<RevocationFeedFollower>(BrokerAuthenticationExtensions.DefaultScheme);

    /// <summary>GET /rows with <paramref name="token"/>, over a connection that showed <paramref name="clientCertificate"/>.</summary>
    public async Task<(int Status, string Challenge)> GetAsync(string token, X509Certificate2? clientCertificate)
    {
        var context = await _app.GetTestServer().SendAsync(http =>
        {
            http.Request.Method = HttpMethods.Get;
            http.Request.Path = "/rows";
            http.Request.Headers.Authorization = "Bearer " + token;
            http.Connection.ClientCertificate = clientCertificate;
        });
        return (context.Response.StatusCode, context.Response.Headers.WWWAuthenticate.ToString());
    }

    /// <summary>GET <paramref name="path"/> with <paramref name="token"/> (if any) as a bearer token: the status, the challenge and the body.</summary>
    public async Task<(int Status, string Challenge, string Body)> GetPathAsync(string path, string? token, X509Certificate2? clientCertificate)
    {
        var context = await _app.GetTestServer().SendAsync(http =>
        {
            http.Request.Method = HttpMethods.Get;
            http.Request.Path = path;
            if (token is not null)
            {
                http.Request.Headers.Authorization = "Bearer " + token;
            }

            http.Connection.ClientCertificate = clientCertificate;
        });
        return (context.Response.StatusCode, context.Response.Headers.WWWAuthenticate.ToString(), await new StreamReader(context.Response.Body).ReadToEndAsync());
    }

    /// <summary>The URI a DPoP proof for <c>GET /rows</c> names (<c>htu</c>): the test server's scheme and host.</summary>
    public const string RowsUri = "http://localhost/rows";

    /// <summary>
    /// GET /rows with <c>Authorization: <paramref name="scheme"/> <paramref name="token"/></c> and <paramref name="proof"/>
    /// (if any) in the <c>DPoP</c> header, over a connection that showed <paramref name="clientCertificate"/>.
    /// </summary>
    public async Task<(int Status, string Challenge, string? Nonce)> GetWithProofAsync(string token, string? proof, X509Certificate2? clientCertificate, string scheme = "DPoP")
    {
        var context = await _app.GetTestServer().SendAsync(http =>
        {
            http.Request.Method = HttpMethods.Get;
            http.Request.Path = "/rows";
            http.Request.Headers.Authorization = scheme + " " + token;
            if (proof is not null)
            {
                http.Request.Headers["DPoP"] = proof;
            }

            http.Connection.ClientCertificate = clientCertificate;
        });
        var nonce = context.Response.Headers["DPoP-Nonce"];
        return (context.Response.StatusCode, context.Response.Headers.WWWAuthenticate.ToString(), nonce.Count == 0 ? null : nonce.ToString());
    }

    private sealed class Outage
    {
        public volatile bool FeedBlocked;
        public volatile bool StatusListsBlocked;
    }

    private sealed class OutageHandler(Outage outage) : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            (outage.FeedBlocked && request.RequestUri!.AbsolutePath == "/v1/revocations/feed")
                || (outage.StatusListsBlocked && request.RequestUri!.AbsolutePath.StartsWith("/v1/status-lists/", StringComparison.Ordinal))
                ? Task.FromResult(new HttpResponseMessage(System.Net.HttpStatusCode.BadGateway))
                : base.SendAsync(request, cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
