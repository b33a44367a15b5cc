using System.Collections.Concurrent;
using System.Formats.Asn1;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using CredentialBroker.Client.Svids.WorkloadApi;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Logging;

namespace CredentialBroker.Client.Svids;

/// <summary>
/// SVIDs from the SPIFFE Workload API (gRPC over a Unix socket, as a SPIRE agent serves it). X.509-SVIDs arrive on a
/// stream the agent pushes to at every rotation, followed in the background from the first use and reconnected with
/// backoff; JWT-SVIDs are fetched per audience and reused until half their lifetime has passed.
/// </summary>
public sealed partial class WorkloadApiSvidSource : ISvidSource, IAsyncDisposable
{
    private static readonly TimeSpan FirstReconnectDelay = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MaxReconnectDelay = TimeSpan.FromSeconds(30);
    private static readonly Metadata SecurityHeader = new() { { "workload.spiffe.io", "true" } }; // required by the specification
    private readonly string _address;
    private readonly string? _spiffeId;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly GrpcChannel _channel;
    private readonly SpiffeWorkloadAPI.SpiffeWorkloadAPIClient _client;
    private readonly ConcurrentDictionary<string, JwtSvid> _jwtSvids = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _gate = new();
    private TaskCompletionSource<X509Svid> _x509 = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task? _follower;

    /// <summary>Creates a source for the Workload API at <see cref="SvidSourceOptions.EffectiveWorkloadApiSocket"/>.</summary>
    /// <exception cref="ArgumentException">No usable unix socket address is configured.</exception>
    public WorkloadApiSvidSource(SvidSourceOptions options, TimeProvider time, ILogger<WorkloadApiSvidSource> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _address = options.EffectiveWorkloadApiSocket ?? throw new ArgumentException("No Workload API socket is configured.", nameof(options));
        var path = SocketPath(_address) ?? throw new ArgumentException($"'{_address}' is not a unix socket address.", nameof(options));
        _spiffeId = options.SpiffeId;
        _time = time ?? throw new ArgumentNullException(nameof(time));
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), cancellationToken).ConfigureAwait(false);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        _channel = GrpcChannel.ForAddress("http://localhost", new GrpcChannelOptions { HttpHandler = handler, DisposeHttpClient = true });
        _client = new SpiffeWorkloadAPI.SpiffeWorkloadAPIClient(_channel);
    }

    /// <summary>The socket path of a Workload API address (<c>unix:///path</c>, <c>unix:/path</c> or a plain absolute path), or <see langword="null"/>.</summary>
    public static string? SocketPath(string address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.StartsWith('/'))
        {
            return address;
        }

        return Uri.TryCreate(address, UriKind.Absolute, out var uri) && uri.Scheme == "unix" && uri.AbsolutePath.Length > 1 && string.IsNullOrEmpty(uri.Host)
            ? Uri.UnescapeDataString(uri.AbsolutePath)
            : null;
    }

    /// <inheritdoc />
    public async ValueTask<JwtSvid> GetJwtSvidAsync(string audience, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(audience);
        var now = _time.GetUtcNow();
        if (_jwtSvids.TryGetValue(audience, out var cached) && now < cached.IssuedAt + ((cached.ExpiresAt - cached.IssuedAt) / 2))
        {
            return cached;
        }

        JWTSVIDResponse response;
        try
        {
            response = await _client.FetchJWTSVIDAsync(new JWTSVIDRequest { Audience = { audience }, SpiffeId = _spiffeId ?? string.Empty }, SecurityHeader, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (RpcException ex) when (ex.StatusCode != StatusCode.Cancelled || !cancellationToken.IsCancellationRequested)
        {
            throw new SvidUnavailableException($"The SPIFFE Workload API at '{_address}' gave no JWT-SVID: {ex.Status.StatusCode} {ex.Status.Detail}", ex);
        }

        var chosen = response.Svids.FirstOrDefault(s => _spiffeId is null || s.SpiffeId == _spiffeId)
            ?? throw new SvidUnavailableException($"The SPIFFE Workload API at '{_address}' has no JWT-SVID{(_spiffeId is null ? string.Empty : " for " + _spiffeId)}.");
        JwtSvid svid;
        try
        {
            svid = JwtSvid.Parse(chosen.Svid);
        }
        catch (FormatException ex)
        {
            throw new SvidUnavailableException($"The SPIFFE Workload API at '{_address}' answered a JWT-SVID that is not one: {ex.Message}", ex);
        }

        _jwtSvids[audience] = svid;
        return svid;
    }

    /// <inheritdoc />
    public async ValueTask<X509Svid> GetX509SvidAsync(CancellationToken cancellationToken)
    {
        Task<X509Svid> current;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_stopping.IsCancellationRequested, this);
            _follower ??= Task.Run(() => FollowAsync(_stopping.Token), CancellationToken.None);
            current = _x509.Task;
        }

        var svid = await current.WaitAsync(cancellationToken).ConfigureAwait(false);
        return svid.ExpiresAt > _time.GetUtcNow()
            ? svid
            : throw new SvidUnavailableException($"The X.509-SVID from the SPIFFE Workload API at '{_address}' expired at {svid.ExpiresAt:O} and no new one arrived.");
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        Task? follower;
        lock (_gate)
        {
            if (_stopping.IsCancellationRequested)
            {
                return;
            }

            _stopping.Cancel();
            follower = _follower;
        }

        if (follower is not null)
        {
            await follower.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        _channel.Dispose();
        _stopping.Dispose();
    }

    // Follows the X.509-SVID stream until disposal. Until the first SVID arrives, callers wait; a failure before it fails
    // the callers waiting now (they learn why at once) and the next callers wait for the next attempt.
    private async Task FollowAsync(CancellationToken stopping)
    {
        var delay = FirstReconnectDelay;
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                using var call = _client.FetchX509SVID(new X509SVIDRequest(), SecurityHeader, cancellationToken: stopping);
                await foreach (var response in call.ResponseStream.ReadAllAsync(stopping).ConfigureAwait(false))
                {
                    var svid = Choose(response);
                    Publish(svid);
                    LogX509SvidReceived(_logger, svid.SpiffeId, _address, svid.ExpiresAt);
                    delay = FirstReconnectDelay;
                }

                LogStreamEnded(_logger, _address);
            }
            catch (Exception) when (stopping.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex) when (ex is RpcException or SvidUnavailableException or CryptographicException or AsnContentException or HttpRequestException or IOException)
            {
                LogStreamFailed(_logger, ex, _address, delay.TotalSeconds);
                Fail(new SvidUnavailableException($"The SPIFFE Workload API at '{_address}' gave no X.509-SVID: {(ex is RpcException rpc ? $"{rpc.Status.StatusCode} {rpc.Status.Detail}" : ex.Message)}", ex));
            }

            try
            {
                await Task.Delay(delay, _time, stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }

            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxReconnectDelay.Ticks));
        }

        lock (_gate)
        {
            _x509.TrySetException(new ObjectDisposedException(nameof(WorkloadApiSvidSource)));
        }
    }

    private void Publish(X509Svid svid)
    {
        lock (_gate)
        {
            if (!_x509.TrySetResult(svid))
            {
                _x509 = new TaskCompletionSource<X509Svid>(TaskCreationOptions.RunContinuationsAsynchronously);
                _x509.SetResult(svid);
            }
        }
    }

    private void Fail(SvidUnavailableException error)
    {
        lock (_gate)
        {
            // Callers keep the last SVID while it is valid; only those still waiting for a first one learn of the failure.
            if (_x509.TrySetException(error))
            {
                _x509 = new TaskCompletionSource<X509Svid>(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }
    }

    private X509Svid Choose(X509SVIDResponse response)
    {
        var chosen = response.Svids.FirstOrDefault(s => _spiffeId is null || s.SpiffeId == _spiffeId)
            ?? throw new SvidUnavailableException($"The SPIFFE Workload API has no X.509-SVID{(_spiffeId is null ? string.Empty : " for " + _spiffeId)}.");
        var chain = Certificates(chosen.X509Svid.Span);
        if (chain.Count == 0)
        {
            throw new SvidUnavailableException("The SPIFFE Workload API answered an X.509-SVID without a certificate.");
        }

        var leaf = WithKey(chain[0], chosen.X509SvidKey.ToByteArray());
        var intermediates = new X509Certificate2Collection();
        for (var i = 1; i < chain.Count; i++)
        {
            intermediates.Add(chain[i]);
        }

        return new X509Svid(leaf, intermediates, Certificates(chosen.Bundle.Span));
    }

    // The Workload API sends certificates as concatenated DER: split them by their outer ASN.1 length.
    private static X509Certificate2Collection Certificates(ReadOnlySpan<byte> der)
    {
        var certificates = new X509Certificate2Collection();
        while (!der.IsEmpty)
        {
            AsnDecoder.ReadEncodedValue(der, AsnEncodingRules.DER, out _, out _, out var consumed);
            certificates.Add(X509CertificateLoader.LoadCertificate(der[..consumed]));
            der = der[consumed..];
        }

        return certificates;
    }

    private static X509Certificate2 WithKey(X509Certificate2 certificate, byte[] pkcs8)
    {
        if (certificate.GetECDsaPublicKey() is { } ecPublic)
        {
            ecPublic.Dispose();
            using var ec = ECDsa.Create();
            ec.ImportPkcs8PrivateKey(pkcs8, out _);
            return certificate.CopyWithPrivateKey(ec);
        }

        using var rsa = RSA.Create();
        rsa.ImportPkcs8PrivateKey(pkcs8, out _);
        return certificate.CopyWithPrivateKey(rsa);
    }

    [LoggerMessage(EventId = 3110, EventName = "X509SvidReceived", Level = LogLevel.Information,
        Message = "The SPIFFE Workload API at {Address} sent an X.509-SVID for {SpiffeId}, valid until {ExpiresAt:O}")]
    private static partial void LogX509SvidReceived(ILogger logger, string spiffeId, string address, DateTimeOffset expiresAt);

    [LoggerMessage(EventId = 3111, EventName = "WorkloadApiStreamEnded", Level = LogLevel.Warning,
        Message = "The SPIFFE Workload API at {Address} ended the X.509-SVID stream; reconnecting")]
    private static partial void LogStreamEnded(ILogger logger, string address);

    [LoggerMessage(EventId = 3112, EventName = "WorkloadApiStreamFailed", Level = LogLevel.Warning,
        Message = "The X.509-SVID stream of the SPIFFE Workload API at {Address} failed; reconnecting in {DelaySeconds} s")]
    private static partial void LogStreamFailed(ILogger logger, Exception exception, string address, double delaySeconds);
}
