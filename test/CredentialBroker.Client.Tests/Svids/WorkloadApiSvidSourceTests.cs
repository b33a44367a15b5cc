using System.Security.Cryptography.X509Certificates;
using CredentialBroker.Client.Svids;
using CredentialBroker.Client.Svids.WorkloadApi;
using CredentialBroker.Testing;
using Google.Protobuf;
using Microsoft.Extensions.Logging.Abstractions;

namespace CredentialBroker.Client.Tests.Svids;

/// <summary>SVIDs from the SPIFFE Workload API, served in process over a Unix socket as a SPIRE agent serves it.</summary>
public sealed class WorkloadApiSvidSourceTests : IAsyncDisposable
{
    private const string Broker = "https://broker.test";
    private readonly TestTrustDomain _trust = new("workload.example");
    private readonly TestPki _pki = new("workload.example");
    private readonly List<IAsyncDisposable> _disposables = [];

    public async ValueTask DisposeAsync()
    {
        foreach (var disposable in Enumerable.Reverse(_disposables))
        {
            await disposable.DisposeAsync();
        }

        _trust.Dispose();
        _pki.Dispose();
    }

    private async Task<FakeWorkloadApi> StartApiAsync()
    {
        var api = await FakeWorkloadApi.StartAsync();
        _disposables.Add(api);
        return api;
    }

    private WorkloadApiSvidSource Source(string socket, string? spiffeId = null)
    {
        var source = new WorkloadApiSvidSource(new SvidSourceOptions { WorkloadApiSocket = "unix://" + socket, SpiffeId = spiffeId }, TimeProvider.System, NullLogger<WorkloadApiSvidSource>.Instance);
        _disposables.Add(source);
        return source;
    }

    private X509SVIDResponse X509Response(string spiffeId)
    {
        using var certificate = _pki.Issue(spiffeId);
        using var key = certificate.GetECDsaPrivateKey()!;
        return new X509SVIDResponse
        {
            Svids =
            {
                new X509SVID
                {
                    SpiffeId = spiffeId,
                    X509Svid = ByteString.CopyFrom(certificate.RawData),
                    X509SvidKey = ByteString.CopyFrom(key.ExportPkcs8PrivateKey()),
                    Bundle = ByteString.CopyFrom(_pki.Authority.RawData),
                },
            },
        };
    }

    [Test]
    public async Task A_jwt_svid_comes_for_the_audience_asked()
    {
        var api = await StartApiAsync();
        api.Jwt = request => new JWTSVIDResponse
        {
            Svids = { new JWTSVID { SpiffeId = _trust.Id("/agents/a"), Svid = _trust.Svid("/agents/a", request.Audience.Single(), TimeProvider.System.GetUtcNow()) } },
        };

        var svid = await Source(api.Socket).GetJwtSvidAsync(Broker, CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(svid.SpiffeId, Is.EqualTo(_trust.Id("/agents/a")));
            Assert.That(svid.Audience, Is.EqualTo(new[] { Broker }));
        });
    }

    [Test]
    public async Task A_workload_api_without_a_jwt_svid_for_the_configured_spiffe_id_is_svid_unavailable()
    {
        var api = await StartApiAsync();
        api.Jwt = request => new JWTSVIDResponse
        {
            Svids = { new JWTSVID { SpiffeId = _trust.Id("/agents/a"), Svid = _trust.Svid("/agents/a", request.Audience.Single(), TimeProvider.System.GetUtcNow()) } },
        };

        Assert.Multiple(() =>
        {
            Assert.That(async () => await Source(api.Socket, _trust.Id("/agents/a")).GetJwtSvidAsync(Broker, CancellationToken.None), Throws.Nothing);
            Assert.That(async () => await Source(api.Socket, _trust.Id("/agents/b")).GetJwtSvidAsync(Broker, CancellationToken.None),
                Throws.TypeOf<SvidUnavailableException>().With.Message.Contains("no JWT-SVID for " + _trust.Id("/agents/b")));
        });
    }

    [Test]
    public async Task X509_svids_follow_the_rotations_the_workload_api_pushes()
    {
        var api = await StartApiAsync();
        var source = Source(api.Socket);
        api.Push(X509Response(_trust.Id("/agents/a")));

        var first = await source.GetX509SvidAsync(CancellationToken.None);
        api.Push(X509Response(_trust.Id("/agents/b")));
        await Poll.UntilAsync(async () => (await source.GetX509SvidAsync(CancellationToken.None)).SpiffeId == _trust.Id("/agents/b"), TimeSpan.FromSeconds(30), "the rotated SVID");
        var rotated = await source.GetX509SvidAsync(CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(first.SpiffeId, Is.EqualTo(_trust.Id("/agents/a")));
            Assert.That(rotated.Certificate.HasPrivateKey, Is.True);
            Assert.That(rotated.Bundle.Cast<X509Certificate2>().Single().Thumbprint, Is.EqualTo(_pki.Authority.Thumbprint));
            Assert.That(rotated.Trusts(first.Certificate), Is.True);
        });
    }

    [Test]
    public async Task No_workload_api_at_the_socket_is_svid_unavailable_at_once()
    {
        var api = await StartApiAsync();
        var missing = Path.Combine(Path.GetDirectoryName(api.Socket)!, "absent.sock");

        Assert.That(async () => await Source(missing).GetX509SvidAsync(CancellationToken.None),
            Throws.TypeOf<SvidUnavailableException>().With.Message.Contains("gave no X.509-SVID"));
    }
}
