using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using CredentialBroker.Client.Svids;

namespace CredentialBroker.Client;

/// <summary>
/// The TLS side of a client: presents the current X.509-SVID as the client certificate (read before each request, so a
/// rotation is used by the next new connection) and checks the server's certificate against configured authorities, or
/// the system's trust store.
/// </summary>
internal sealed class ClientCertificateSelector(X509Certificate2Collection? serverAuthorities)
{
    private X509Svid? _current;

    public X509Svid? Current
    {
        get => Volatile.Read(ref _current);
        set => Volatile.Write(ref _current, value);
    }

    /// <summary>A handler whose connections present <see cref="Current"/>; pooled connections are recycled so rotated SVIDs take over.</summary>
    public SocketsHttpHandler CreateHandler() => new()
    {
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        SslOptions = new SslClientAuthenticationOptions
        {
            LocalCertificateSelectionCallback = (_, _, _, _, _) => Current?.Certificate!,
            RemoteCertificateValidationCallback = serverAuthorities is null ? null : (_, certificate, chain, errors) => ChainsTo(certificate, chain, errors, serverAuthorities),
        },
    };

    private static bool ChainsTo(X509Certificate? certificate, X509Chain? presented, SslPolicyErrors errors, X509Certificate2Collection authorities)
    {
        if (certificate is not X509Certificate2 server || errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch) || errors.HasFlag(SslPolicyErrors.RemoteCertificateNotAvailable))
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(authorities);
        if (presented is not null)
        {
            chain.ChainPolicy.ExtraStore.AddRange(presented.ChainElements.Select(e => e.Certificate).ToArray());
        }

        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(server);
    }
}
