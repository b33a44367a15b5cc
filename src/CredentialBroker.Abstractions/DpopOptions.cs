namespace CredentialBroker.Abstractions;

/// <summary>
/// How the broker checks DPoP proofs (RFC 9449), bound from <c>CredentialBroker:Dpop</c>: on the token endpoint, where a
/// proof binds the new access token to its key, and wherever a key-bound token is used (exchange, holder revocation).
/// </summary>
public sealed class DpopOptions
{
    /// <summary>
    /// The JWS algorithms a proof may be signed with: asymmetric only (ES256/384/512, RS256/384/512, PS256/384/512), each
    /// accepted only with a key that fits it. Advertised as <c>dpop_signing_alg_values_supported</c>. Default ES256.
    /// </summary>
    public IList<string> Algorithms { get; } = [];

    /// <summary>How old a proof may be (its <c>iat</c>); a proof's <c>jti</c> is remembered this long, so it is never accepted twice. Default 60 s; 5 s to 5 min.</summary>
    public TimeSpan MaxProofAge { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How far in the future a proof's <c>iat</c> may lie (the client's clock running ahead). Default 5 s; 0 to 30 s.</summary>
    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Whether every proof must carry a nonce the broker handed out (<c>DPoP-Nonce</c>): a proof without one, or with one
    /// that is unknown or stale, is answered <c>use_dpop_nonce</c> with a fresh nonce. Nonces bound the lifetime of a
    /// proof by the server's clock rather than the client's. Default <see langword="false"/>.
    /// </summary>
    public bool RequireNonce { get; set; }

    /// <summary>How long a nonce is accepted after it is first handed out; each replica hands out a fresh one after half of it. Default 5 min; 10 s to 1 h.</summary>
    public TimeSpan NonceLifetime { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>The algorithms in force: <see cref="Algorithms"/>, or ES256 when none is configured.</summary>
    public IReadOnlyCollection<string> EffectiveAlgorithms => Algorithms.Count > 0 ? [.. Algorithms] : ["ES256"];
}
