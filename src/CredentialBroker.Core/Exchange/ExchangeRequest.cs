namespace CredentialBroker.Core.Exchange;

/// <summary>A well-formed RFC 8693 token exchange request (parameter syntax already checked).</summary>
/// <param name="SubjectToken">The task token (or delegated task token) being exchanged.</param>
/// <param name="Requested">What is asked for: an access token, a delegated task token for an actor, or a downstream secret.</param>
/// <param name="Audience">The one resource or audience the new credential is for (required for access tokens and secrets; optional narrowing for delegation).</param>
/// <param name="Scopes">Optional narrowing to these scope tokens.</param>
/// <param name="ActorToken">Delegation only: the sub-agent, named by its SPIFFE ID or by a JWT-SVID it addressed to the delegating agent (see <see cref="ActorKind"/>).</param>
public sealed record ExchangeRequest(string SubjectToken, RequestedToken Requested, string? Audience, IReadOnlySet<string>? Scopes, string? ActorToken)
{
    /// <summary>What <see cref="ActorToken"/> is (<c>actor_token_type</c>). Default a JWT-SVID.</summary>
    public ActorTokenKind ActorKind { get; init; }

    /// <summary>
    /// The request's validated DPoP proof, if it carried one: proof of the key a key-bound subject token names, and the key
    /// an issued access token is bound to (<c>cnf.jkt</c>, <c>token_type</c> DPoP).
    /// </summary>
    public ProofOfPossession.DpopProof? Dpop { get; init; }

    /// <summary>
    /// Whether <see cref="SubjectToken"/> is a transaction token (<c>subject_token_type</c>
    /// <c>urn:ietf:params:oauth:token-type:txn_token</c>): a request for its replacement. Otherwise it is a (delegated) task token.
    /// </summary>
    public bool SubjectIsTransactionToken { get; init; }
}
