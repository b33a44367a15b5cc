using CredentialBroker.Abstractions;
using CredentialBroker.Core.Exchange;

namespace CredentialBroker.Server.OAuth;

/// <summary>The RFC 8693 §2.1 request parameters, checked to the letter before the exchange sees them.</summary>
internal static class TokenExchangeForm
{
    // A resource names a downstream service; a longer one is no audience, and a refusal would carry it into the boundary log.
    private const int MaxTargetLength = 2048;

    private static readonly string[] KnownTokenTypes =
        [TokenTypeUris.AccessToken, TokenTypeUris.Jwt, TokenTypeUris.RefreshToken, TokenTypeUris.IdToken, TokenTypeUris.Saml1, TokenTypeUris.Saml2, TokenTypeUris.Task, TokenTypeUris.Secret, TokenTypeUris.SpiffeId, TokenTypeUris.TxnToken];

    public static (ExchangeRequest? Request, IResult? Error) Parse(IFormCollection form)
    {
        string? Value(string name) => form.TryGetValue(name, out var value) && !string.IsNullOrEmpty(value) ? value.ToString() : null;

        var subjectToken = Value("subject_token");
        var subjectType = Value("subject_token_type");
        if (subjectToken is null || subjectType is null)
        {
            return Invalid(ErrorCodes.ParameterMissing, "'subject_token' and 'subject_token_type' are required.");
        }

        if (subjectType is not (TokenTypeUris.Jwt or TokenTypeUris.AccessToken or TokenTypeUris.TxnToken))
        {
            return Invalid(ErrorCodes.TokenTypeUnsupported, KnownTokenTypes.Contains(subjectType)
                ? $"subject_token_type {subjectType} is not supported: a task token is {TokenTypeUris.Jwt}, a transaction token {TokenTypeUris.TxnToken}."
                : "subject_token_type is not a known token type identifier.");
        }

        var requested = Value("requested_token_type") ?? TokenTypeUris.AccessToken;
        if (requested is not (TokenTypeUris.AccessToken or TokenTypeUris.Task or TokenTypeUris.Secret or TokenTypeUris.TxnToken))
        {
            return Invalid(ErrorCodes.TokenTypeUnsupported, KnownTokenTypes.Contains(requested)
                ? $"requested_token_type {requested} is not issued here: ask for {TokenTypeUris.AccessToken}, {TokenTypeUris.Task}, {TokenTypeUris.Secret} or {TokenTypeUris.TxnToken}."
                : "requested_token_type is not a known token type identifier.");
        }

        // A transaction token is the subject only of a request for its replacement (draft-ietf-oauth-transaction-tokens-10 §12.11).
        var transaction = requested == TokenTypeUris.TxnToken;
        if (subjectType == TokenTypeUris.TxnToken && !transaction)
        {
            return Invalid(ErrorCodes.TokenTypeUnsupported, $"A transaction token is exchanged only for its replacement: requested_token_type {TokenTypeUris.TxnToken}.");
        }

        var actorToken = Value("actor_token");
        var actorType = Value("actor_token_type");
        if ((actorToken is null) != (actorType is null))
        {
            return Invalid(ErrorCodes.ActorParametersInvalid, "'actor_token' and 'actor_token_type' go together.");
        }

        if (actorType is not (null or TokenTypeUris.Jwt or TokenTypeUris.SpiffeId))
        {
            return Invalid(ErrorCodes.TokenTypeUnsupported, KnownTokenTypes.Contains(actorType)
                ? $"actor_token_type must be {TokenTypeUris.SpiffeId} (the sub-agent's SPIFFE ID) or {TokenTypeUris.Jwt} (a JWT-SVID the sub-agent addressed to you)."
                : "actor_token_type is not a known token type identifier.");
        }

        var delegate_ = requested == TokenTypeUris.Task;
        if (delegate_ && actorToken is null)
        {
            return Invalid(ErrorCodes.ActorParametersInvalid, $"Delegation (requested_token_type task) names the sub-agent in actor_token: its SPIFFE ID ({TokenTypeUris.SpiffeId}) or a JWT-SVID it addressed to you ({TokenTypeUris.Jwt}).");
        }

        if (!delegate_ && actorToken is not null)
        {
            return Invalid(ErrorCodes.ActorParametersInvalid, "actor_token is only used for delegation (requested_token_type task).");
        }

        var resource = Value("resource");
        var audience = Value("audience");
        if (resource is { Length: > MaxTargetLength } || audience is { Length: > MaxTargetLength })
        {
            return (null, OAuthErrors.Error(StatusCodes.Status400BadRequest, "invalid_target", ErrorCodes.TargetInvalid, $"'resource' and 'audience' are at most {MaxTargetLength} characters."));
        }

        if (transaction && (resource is not null || audience is null))
        {
            return (null, OAuthErrors.Error(StatusCodes.Status400BadRequest, "invalid_target", ErrorCodes.TargetInvalid, "A transaction token names its trust domain in 'audience' (not 'resource')."));
        }

        if (resource is not null && (!Uri.TryCreate(resource, UriKind.Absolute, out var uri) || !string.IsNullOrEmpty(uri.Fragment)))
        {
            return (null, OAuthErrors.Error(StatusCodes.Status400BadRequest, "invalid_target", ErrorCodes.TargetInvalid, "'resource' must be an absolute URI without a fragment (RFC 8707)."));
        }

        if (resource is not null && audience is not null && resource != audience)
        {
            return (null, OAuthErrors.Error(StatusCodes.Status400BadRequest, "invalid_target", ErrorCodes.TargetInvalid, "One token has one audience: give 'resource' or 'audience', not two different ones."));
        }

        IReadOnlySet<string>? scopes = null;
        if (form.ContainsKey("scope") && !Scopes.TryParse(form["scope"], out scopes))
        {
            return (null, OAuthErrors.Error(StatusCodes.Status400BadRequest, "invalid_scope", ErrorCodes.ScopeInvalid, "'scope' must be scope tokens separated by single spaces."));
        }

        var kind = delegate_ ? RequestedToken.DelegatedTask
            : transaction ? RequestedToken.TransactionToken
            : requested == TokenTypeUris.Secret ? RequestedToken.Secret
            : RequestedToken.AccessToken;
        return (new ExchangeRequest(subjectToken, kind, resource ?? audience, scopes, actorToken)
        {
            ActorKind = actorType == TokenTypeUris.SpiffeId ? ActorTokenKind.SpiffeId : ActorTokenKind.JwtSvid,
            SubjectIsTransactionToken = subjectType == TokenTypeUris.TxnToken,
        }, null);
    }

    public static string ErrorCode(ExchangeError error) => error switch
    {
        ExchangeError.InvalidRequest => "invalid_request",
        ExchangeError.InvalidGrant => "invalid_grant",
        ExchangeError.InvalidTarget => "invalid_target",
        ExchangeError.InvalidScope => "invalid_scope",
        ExchangeError.TemporarilyUnavailable => "temporarily_unavailable",
        ExchangeError.InvalidDpopProof => "invalid_dpop_proof",
        _ => "unauthorized_client",
    };

    private static (ExchangeRequest?, IResult?) Invalid(string code, string description) => (null, OAuthErrors.InvalidRequest(code, description));
}
