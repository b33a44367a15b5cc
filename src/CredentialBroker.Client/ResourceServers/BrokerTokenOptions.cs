using Microsoft.AspNetCore.Http;

namespace CredentialBroker.Client.ResourceServers;

/// <summary>How a resource server accepts CredentialBroker access tokens (one authentication scheme).</summary>
public sealed class BrokerTokenOptions
{
    /// <summary>
    /// The broker's issuer identifier, exactly as in its tokens' <c>iss</c> and its discovery document
    /// (for example <c>https://broker.corp.example</c>). Required.
    /// </summary>
    public string? Issuer { get; set; }

    /// <summary>
    /// Where the broker's discovery document is. Default: <see cref="Issuer"/> + <c>/.well-known/oauth-authorization-server</c>.
    /// The JWKS, the introspection endpoint and the revocation feed are taken from it.
    /// </summary>
    public Uri? MetadataAddress { get; set; }

    /// <summary>
    /// This resource server's identifier: an access token is accepted only if its <c>aud</c> is exactly this. For the
    /// transaction-token scheme, the trust domain instead (the broker's discovery <c>transaction_token_audience</c>). Required.
    /// </summary>
    public string? Audience { get; set; }

    /// <summary>
    /// Produces this resource server's JWT-SVID (audience: the broker), sent as the bearer credential when
    /// following the revocation feed and when introspecting. Called for every connection and introspection,
    /// so a rotated SVID is picked up. Required.
    /// </summary>
    public Func<CancellationToken, ValueTask<string>>? CallerToken { get; set; }

    /// <summary>
    /// The SPIFFE ID of the workload presenting the token, established by the transport (the token must be bound
    /// to it: <c>cnf.spiffe_id</c>). <see langword="null"/> means unknown, and the token is refused.
    /// Default: <see cref="PresenterIdentity.FromClientCertificate"/> (the URI SAN of a TLS client certificate).
    /// </summary>
    public Func<HttpContext, string?> PresenterId { get; set; } = PresenterIdentity.FromClientCertificate;

    /// <summary>Clock skew allowed on <c>exp</c>/<c>nbf</c>, and kept on deny-list entries past <c>exp</c>. Default 30 s; at most 30 s (RFC 8725 practice).</summary>
    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long after the last heartbeat the feed still counts as current. The broker sends a heartbeat every 5 s once
    /// a follower has caught up; while the feed is not current, every token is checked by introspection. Default 15 s.
    /// </summary>
    public TimeSpan FeedStaleAfter { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// How often the JWKS is fetched again. Must be shorter than the broker's <c>KeyPublishLead</c> (default 1 h), so
    /// a new signing key is known before it signs. Default 30 min.
    /// </summary>
    public TimeSpan JwksRefreshInterval { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>The longest wait between attempts to reconnect to the feed (attempts back off exponentially from 1 s, with jitter). Default 30 s.</summary>
    public TimeSpan MaxReconnectDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Whether discovery, JWKS, feed and introspection must use HTTPS. Default <see langword="true"/>; turn off only for local development.</summary>
    public bool RequireHttps { get; set; } = true;

    /// <summary>
    /// The JWS algorithms a DPoP proof (RFC 9449) may be signed with, for DPoP-bound tokens (<c>cnf.jkt</c>): asymmetric
    /// only (ES256/384/512, RS256/384/512, PS256/384/512). Default ES256 (the broker's own default).
    /// </summary>
    public IList<string> DpopAlgorithms { get; } = ["ES256"];

    /// <summary>
    /// How old a DPoP proof may be (its <c>iat</c>); its <c>jti</c> is remembered this long (plus <see cref="ClockSkew"/>)
    /// by this process, so it is accepted once. Default 60 s; 5 s to 5 min.
    /// </summary>
    public TimeSpan DpopProofMaxAge { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Whether a DPoP proof must carry a nonce this resource server handed out (RFC 9449 §9): a proof without a current one
    /// is refused with <c>use_dpop_nonce</c> and a fresh nonce in the <c>DPoP-Nonce</c> header, which every accepted DPoP
    /// request also carries. Nonces bound a proof's lifetime by this server's clock. They are an HMAC under a key of
    /// this process: behind a load balancer, use sticky sessions or leave this off. Default <see langword="false"/>.
    /// </summary>
    public bool RequireDpopNonce { get; set; }

    /// <summary>
    /// Whether this resource publishes OAuth 2.0 Protected Resource Metadata (RFC 9728), as an MCP server must: every 401
    /// challenge names the document in <c>resource_metadata</c> (RFC 9728 §5.1), which
    /// <see cref="ProtectedResourceMetadata.MapBrokerResourceMetadata"/> serves. <see cref="Audience"/> must then be this
    /// resource's URL (HTTPS while <see cref="RequireHttps"/> is on; no query or fragment): the document's <c>resource</c>,
    /// the <c>resource</c> an agent asks the broker for (RFC 8707) and the tokens' <c>aud</c>. Default <see langword="false"/>.
    /// </summary>
    public bool AdvertiseResourceMetadata { get; set; }

    /// <summary>
    /// How revocations are learnt: <see cref="BrokerRevocationCheck.Feed"/> (the revocation feed, with introspection while
    /// it is behind) or <see cref="BrokerRevocationCheck.StatusList"/> (the Token Status List each token names; the feed is
    /// not followed). Default <see cref="BrokerRevocationCheck.Feed"/>.
    /// </summary>
    public BrokerRevocationCheck RevocationCheck { get; set; } = BrokerRevocationCheck.Feed;

    /// <summary>Called for each revocation the feed delivers, after the deny list has it (close sessions opened with the credential, say). Default none.</summary>
    public Action<RevokedCredential>? OnRevoked { get; set; }
}
