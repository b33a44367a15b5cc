namespace CredentialBroker.Abstractions;

/// <summary>
/// The stable identifiers of the broker's errors, beside the RFC's coarse <c>error</c> (OAuth): every error answer
/// carries one as <c>code</c> — on REST endpoints it is also the suffix of the problem <c>type</c>
/// (<c>urn:credentialbroker:problem:&lt;code&gt;</c>) — so clients and the SOC match on it, not on prose.
/// docs/errors.md lists each with its status and meaning. Once shipped, a code never changes meaning.
/// </summary>
public static class ErrorCodes
{
    // Requests and clients.

    /// <summary>The form body breaks the OAuth rules (content type, query parameters, a repeated parameter, malformed).</summary>
    public const string FormInvalid = "form-invalid";

    /// <summary>A required parameter is missing.</summary>
    public const string ParameterMissing = "parameter-missing";

    /// <summary>A token type identifier is unknown or not supported here.</summary>
    public const string TokenTypeUnsupported = "token-type-unsupported";

    /// <summary>The actor parameters are incomplete or do not fit the requested token type.</summary>
    public const string ActorParametersInvalid = "actor-parameters-invalid";

    /// <summary>The grant type is not token exchange.</summary>
    public const string GrantTypeUnsupported = "grant-type-unsupported";

    /// <summary>The client authenticated two ways, or with an unknown assertion type.</summary>
    public const string ClientAuthenticationInvalid = "client-authentication-invalid";

    /// <summary>No valid SVID was presented.</summary>
    public const string Unauthenticated = "unauthenticated";

    /// <summary>The caller lacks the role the endpoint or operation needs.</summary>
    public const string Forbidden = "forbidden";

    // Token exchange.

    /// <summary>The subject token is not a valid, current task or delegated token of this broker.</summary>
    public const string SubjectInvalid = "subject-invalid";

    /// <summary>The subject token is revoked or expired (by its record, a SOC rule, or while the exchange ran).</summary>
    public const string SubjectInactive = "subject-inactive";

    /// <summary>The subject token is bound to another workload (or key).</summary>
    public const string SubjectNotBound = "subject-not-bound";

    /// <summary>The subject token expires too soon to derive anything from it.</summary>
    public const string SubjectExpiring = "subject-expiring";

    /// <summary>A workload behind the request is quarantined by the SOC.</summary>
    public const string Quarantined = "quarantined";

    /// <summary>The task is not running (or closed while the exchange ran).</summary>
    public const string TaskClosed = "task-closed";

    /// <summary>The task holds as many credentials as a task may.</summary>
    public const string TaskFull = "task-full";

    /// <summary>The requested resource or audience is malformed, or two different ones were given.</summary>
    public const string TargetInvalid = "target-invalid";

    /// <summary>The subject token grants nothing for the requested resource.</summary>
    public const string TargetNotGranted = "target-not-granted";

    /// <summary>The scope is malformed or wider than the subject token grants.</summary>
    public const string ScopeInvalid = "scope-invalid";

    /// <summary>Policy denied the request (the description names the rule).</summary>
    public const string PolicyDenied = "policy-denied";

    /// <summary>The actor is invalid: not a valid identity, not an agent, already in the chain.</summary>
    public const string ActorInvalid = "actor-invalid";

    /// <summary>The actor token is a JWT-SVID addressed to the broker: a credential for the broker, which no workload may hand to another.</summary>
    public const string ActorSvidForBroker = "actor-svid-for-broker";

    /// <summary>The task's <c>mayAct</c> does not allow the actor (or the task names none: no delegation).</summary>
    public const string ActorNotAllowed = "actor-not-allowed";

    /// <summary>The delegation would exceed the task's depth limit.</summary>
    public const string DepthExceeded = "depth-exceeded";

    // Proof of possession.

    /// <summary>The DPoP proof fails RFC 9449 §4.3 (malformed, wrong type, algorithm, key, signature, method, URI, time or <c>ath</c>).</summary>
    public const string DpopProofInvalid = "dpop-proof-invalid";

    /// <summary>The DPoP proof was used before.</summary>
    public const string DpopProofReplayed = "dpop-proof-replayed";

    /// <summary>The DPoP proof lacks the server nonce, or carries one that is unknown or expired (<c>use_dpop_nonce</c>).</summary>
    public const string DpopNonceRequired = "dpop-nonce-required";

    /// <summary>The token is bound to a key (<c>cnf.jkt</c> or <c>cnf.x5t#S256</c>) and the request proves possession of none, or of another.</summary>
    public const string KeyNotProven = "key-not-proven";

    /// <summary>No downstream secret provider serves the requested resource.</summary>
    public const string SecretProviderUnknown = "secret-provider-unknown";

    /// <summary>The downstream backend could not be reached or did not answer in time (retry later); nothing usable was issued.</summary>
    public const string DownstreamUnavailable = "downstream-unavailable";

    /// <summary>The downstream backend refused to issue the secret (its configuration or the broker's admin account is at fault).</summary>
    public const string DownstreamRefused = "downstream-refused";

    // REST problems.

    /// <summary>One or more fields are invalid; the problem's <c>errors</c> lists every one.</summary>
    public const string Validation = "validation";

    /// <summary>The body is not JSON for the endpoint, or a header is malformed.</summary>
    public const string BadRequest = "bad-request";

    /// <summary>No such resource, or not one the caller may see.</summary>
    public const string NotFound = "not-found";

    /// <summary>The request conflicts with the current state (an illegal transition, nothing to resolve or lift).</summary>
    public const string Conflict = "conflict";

    /// <summary>The body is not of the media type the endpoint takes.</summary>
    public const string UnsupportedMediaType = "unsupported-media-type";

    /// <summary>An <c>Idempotency-Key</c> was used before for a different request.</summary>
    public const string IdempotencyKeyReused = "idempotency-key-reused";

    /// <summary>An <c>Idempotency-Key</c> retry of a task that has ended: a retry never gets a dead token.</summary>
    public const string IdempotentTaskEnded = "idempotent-task-ended";

    // Availability.

    /// <summary>Too many requests from this caller, for this task, or from this transmitter: retry after <c>Retry-After</c> seconds.</summary>
    public const string RateLimited = "rate-limited";

    /// <summary>The store cannot be reached: nothing was issued or changed.</summary>
    public const string StoreUnavailable = "store-unavailable";

    /// <summary>The broker failed unexpectedly (no detail is given).</summary>
    public const string Internal = "internal";
}
