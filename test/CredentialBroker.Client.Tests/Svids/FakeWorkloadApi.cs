using System.Threading.Channels;
using CredentialBroker.Client.Svids.WorkloadApi;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CredentialBroker.Client.Tests.Svids;

/// <summary>
/// The SPIFFE Workload API as a SPIRE agent serves it — gRPC over HTTP/2 on a Unix socket, the <c>workload.spiffe.io</c>
/// header required — in process: X.509-SVID responses are pushed by the test, JWT-SVIDs minted per request.
/// </summary>
internal sealed class FakeWorkloadApi : SpiffeWorkloadAPI.SpiffeWorkloadAPIBase, IAsyncDisposable
{
    private readonly Channel<X509SVIDResponse> _pushes = Channel.CreateUnbounded<X509SVIDResponse>();
    private WebApplication? _app;

    private FakeWorkloadApi(string socket) => Socket = socket;

    /// <summary>The socket path.</summary>
    public string Socket { get; }

    /// <summary>Answers a JWT-SVID request.</summary>
    public Func<JWTSVIDRequest, JWTSVIDResponse> Jwt { get; set; } = _ => new JWTSVIDResponse();

    public static async Task<FakeWorkloadApi> StartAsync()
    {
        var api = new FakeWorkloadApi(Path.Combine(Directory.CreateTempSubdirectory("cb-workload-").FullName, "agent.sock"));
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.ListenUnixSocket(api.Socket, listen => listen.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc();
        builder.Services.AddSingleton(api);
        api._app = builder.Build();
        api._app.MapGrpcService<FakeWorkloadApi>();
        await api._app.StartAsync();
        return api;
    }

    /// <summary>Sends an X.509-SVID response on every open stream (and to the next one).</summary>
    public void Push(X509SVIDResponse response) => _pushes.Writer.TryWrite(response);

    public override Task<JWTSVIDResponse> FetchJWTSVID(JWTSVIDRequest request, ServerCallContext context)
    {
        RequireSecurityHeader(context);
        return Task.FromResult(Jwt(request));
    }

    public override async Task FetchX509SVID(X509SVIDRequest request, IServerStreamWriter<X509SVIDResponse> responseStream, ServerCallContext context)
    {
        RequireSecurityHeader(context);
        await foreach (var response in _pushes.Reader.ReadAllAsync(context.CancellationToken))
        {
            await responseStream.WriteAsync(response, context.CancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _pushes.Writer.TryComplete();
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }

        Directory.Delete(Path.GetDirectoryName(Socket)!, recursive: true);
    }

    private static void RequireSecurityHeader(ServerCallContext context)
    {
        if (context.RequestHeaders.GetValue("workload.spiffe.io") != "true")
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "security header missing from request"));
        }
    }
}
