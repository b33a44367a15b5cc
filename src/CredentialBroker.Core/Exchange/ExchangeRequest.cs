namespace CredentialBroker.Core.Exchange;

/// <summary>A well-formed RFC 8693 token exchange request (parameter syntax already checked).</summary>
/// <param name="SubjectToken">The task token (or delegated task token) being exchanged.</param>
/// <param name="Requested">What is asked for: an access token, a delegated task token for an actor, or a downstream secret.</param>
/// <param name="Audience">The one resource or audience the new credential is for (required for access tokens and secrets; optional narrowing for delegation).</param>
/// <param name="Scopes">Optional narrowing to these scope tokens.</param>
/// <param name="ActorToken">The sub-agent's JWT-SVID (delegation only).</param>
public sealed record ExchangeRequest(string SubjectToken, RequestedToken Requested, string? Audience, IReadOnlySet<string>? Scopes, string? ActorToken);
