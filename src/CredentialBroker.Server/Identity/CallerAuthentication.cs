using System.Diagnostics.CodeAnalysis;
using CredentialBroker.Abstractions.Identity;
using CredentialBroker.Core.Identity;
using CredentialBroker.Core.Tokens;

namespace CredentialBroker.Server.Identity;

/// <summary>The outcome of authenticating a caller.</summary>
internal readonly record struct CallerAuthentication(CallerIdentity? Caller, CallerAuthenticationFailure Failure, JwtValidationFailure? Reason = null)
{
    [MemberNotNullWhen(true, nameof(Caller))]
    public bool Succeeded => Caller is not null;

    public static CallerAuthentication Success(CallerIdentity caller) => new(caller, CallerAuthenticationFailure.None);

    public static CallerAuthentication Fail(CallerAuthenticationFailure failure, JwtValidationFailure? reason = null) => new(null, failure, reason);

    /// <summary>A description safe to return to the caller: it names the failed check, never token material.</summary>
    public string Description => Failure switch
    {
        CallerAuthenticationFailure.Missing => "A JWT-SVID is required: 'Authorization: Bearer <JWT-SVID>' (or an X.509-SVID as TLS client certificate, where the broker accepts them).",
        CallerAuthenticationFailure.BadCertificate => "The TLS client certificate is not a valid X.509-SVID of a trusted trust domain (one spiffe:// URI SAN, not a CA, chaining to that domain's bundle, current).",
        CallerAuthenticationFailure.Ambiguous => "Use exactly one client authentication method.",
        CallerAuthenticationFailure.BadAssertionType => "client_assertion_type must be urn:ietf:params:oauth:client-assertion-type:jwt-bearer.",
        CallerAuthenticationFailure.ClientIdMismatch => "client_id does not match the subject of the client assertion.",
        _ => Reason switch
        {
            JwtValidationFailure.WrongType => "The credential is not a JWT-SVID (typ).",
            JwtValidationFailure.BadAlgorithm => "The JWT-SVID's algorithm is not allowed for its key.",
            JwtValidationFailure.UnknownKey => "No key in the trust bundle matches the JWT-SVID's kid.",
            JwtValidationFailure.BadSignature => "The JWT-SVID's signature does not verify.",
            JwtValidationFailure.WrongAudience => "The JWT-SVID's audience does not name this broker.",
            JwtValidationFailure.Expired => "The JWT-SVID has expired or has no exp.",
            JwtValidationFailure.NotYetValid => "The JWT-SVID is not valid yet (nbf or iat in the future).",
            JwtValidationFailure.LifetimeTooLong => "The JWT-SVID's lifetime is longer than this broker accepts.",
            JwtValidationFailure.UntrustedSubject => "The JWT-SVID's subject is not a SPIFFE ID of a trusted trust domain.",
            _ => "The JWT-SVID is malformed.",
        },
    };
}
