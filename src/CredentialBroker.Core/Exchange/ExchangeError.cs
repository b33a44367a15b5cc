namespace CredentialBroker.Core.Exchange;

/// <summary>RFC 6749 / RFC 8693 error codes of the token endpoint.</summary>
public enum ExchangeError
{
    /// <summary><c>invalid_request</c>: malformed or missing parameters, unsupported token types.</summary>
    InvalidRequest,

    /// <summary><c>invalid_grant</c>: the subject or actor token is invalid, revoked, expired, not bound to the caller, or its task is closed; delegation not permitted.</summary>
    InvalidGrant,

    /// <summary><c>invalid_target</c>: the audience is not granted, or policy denies it.</summary>
    InvalidTarget,

    /// <summary><c>invalid_scope</c>: a wider scope than the subject token holds.</summary>
    InvalidScope,

    /// <summary><c>unauthorized_client</c>: the caller may not exchange tokens at all.</summary>
    UnauthorizedClient,

    /// <summary><c>temporarily_unavailable</c> (503): a downstream backend could not be reached; nothing usable was issued.</summary>
    TemporarilyUnavailable,

    /// <summary><c>slow_down</c> (429): the task's exchanges exceed its rate limit; <see cref="ExchangeResult.RetryAfter"/> says when to retry.</summary>
    SlowDown,

    /// <summary><c>invalid_dpop_proof</c> (RFC 9449): the DPoP proof does not cover the key-bound subject token it came with.</summary>
    InvalidDpopProof,
}
