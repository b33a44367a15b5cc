using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using CredentialBroker.Client.ResourceServers;

namespace CredentialBroker.Client.Svids;

/// <summary>
/// Mutual TLS between workloads with X.509-SVIDs: every connection presents this workload's current X.509-SVID
/// (read from the <see cref="ISvidSource"/> before each request, so a rotated SVID is used by the next connection) and
/// accepts only a server whose certificate chains to the SVID's trust bundle and, when given, names the expected
/// SPIFFE ID. Use it as an <see cref="HttpClient"/>'s handler, e.g. to call a resource server that checks a token's
/// binding to the caller's certificate.
/// </summary>
public sealed class X509SvidHttpHandler : DelegatingHandler
{
    private readonly ISvidSource _svids;
    private readonly string? _serverId;
    private X509Svid? _current;

    /// <summary>Creates the handler.</summary>
    /// <param name="svids">This workload's SVIDs.</param>
    /// <param name="serverId">The server's SPIFFE ID (its certificate's URI SAN); <see langword="null"/> accepts any SVID of the trust bundle.</param>
    public X509SvidHttpHandler(ISvidSource svids, string? serverId = null)
    {
        ArgumentNullException.ThrowIfNull(svids);
        _svids = svids;
        _serverId = serverId;
        InnerHandler = new SocketsHttpHandler
        {
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            SslOptions = new SslClientAuthenticationOptions
            {
                LocalCertificateSelectionCallback = (_, _, _, _, _) => Volatile.Read(ref _current)?.Certificate!,
                RemoteCertificateValidationCallback = (_, certificate, chain, _) => Accepts(certificate, chain),
            },
        };
    }

    /// <inheritdoc />
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        Volatile.Write(ref _current, await _svids.GetX509SvidAsync(cancellationToken).ConfigureAwait(false));
        return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
    }

    private bool Accepts(X509Certificate? certificate, X509Chain? presented)
    {
        if (certificate is not X509Certificate2 server || Volatile.Read(ref _current) is not { } own)
        {
            return false;
        }

        var extra = presented is null ? null : new X509Certificate2Collection(presented.ChainElements.Select(e => e.Certificate).ToArray());
        return own.Trusts(server, extra) && (_serverId is null || string.Equals(PresenterIdentity.SpiffeId(server), _serverId, StringComparison.Ordinal));
    }
}
