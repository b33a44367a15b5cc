namespace CredentialBroker.Client.Svids;

/// <summary>This workload's current SPIFFE SVIDs. Implementations follow rotation: ask again for each use, do not keep one.</summary>
public interface ISvidSource
{
    /// <summary>A current JWT-SVID for <paramref name="audience"/>.</summary>
    /// <exception cref="SvidUnavailableException">No current JWT-SVID for that audience can be had (the message says why).</exception>
    ValueTask<JwtSvid> GetJwtSvidAsync(string audience, CancellationToken cancellationToken);

    /// <summary>The current X.509-SVID, with its private key and the trust bundle.</summary>
    /// <exception cref="SvidUnavailableException">No current X.509-SVID can be had (the message says why).</exception>
    ValueTask<X509Svid> GetX509SvidAsync(CancellationToken cancellationToken);
}
