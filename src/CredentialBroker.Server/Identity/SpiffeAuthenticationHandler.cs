using CredentialBroker.Abstractions;
using System.Security.Claims;
using System.Text.Encodings.Web;
using CredentialBroker.Abstractions.Identity;
using CredentialBroker.Server.OAuth;
using CredentialBroker.Server.Problems;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;

namespace CredentialBroker.Server.Identity;

/// <summary>
/// Authenticates callers by SPIFFE identity, the ASP.NET Core way: a JWT-SVID as <c>Authorization: Bearer</c>, an
/// RFC 7523 <c>client_assertion</c> on the OAuth endpoints, or an X.509-SVID over mutual TLS (see
/// <see cref="CallerAuthenticator"/>). A success is a <see cref="ClaimsPrincipal"/> whose identity carries the SPIFFE ID
/// and the caller's roles as claims (<see cref="SpiffeIdentity"/>); authorization policies (<see cref="BrokerPolicies"/>)
/// decide on those. Challenges and refusals speak each endpoint family's error format: RFC 6749 on <c>/oauth2</c>,
/// RFC 9457 problem details elsewhere — never a stack trace, never token material.
/// </summary>
internal sealed class SpiffeAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    CallerAuthenticator authenticator) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "SPIFFE";

    private const string BearerChallenge = "Bearer realm=\"credentialbroker\"";
    private static readonly object FailureKey = new();

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var authentication = IsOAuth(Request)
            ? await authenticator.AuthenticateClientAsync(Request, await ReadFormAsync(Request))
            : await authenticator.AuthenticateBearerAsync(Request);
        if (authentication.Succeeded)
        {
            var principal = new ClaimsPrincipal(new SpiffeIdentity(authentication.Caller, SchemeName));
            return AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName));
        }

        if (authentication.Failure == CallerAuthenticationFailure.Missing)
        {
            return AuthenticateResult.NoResult();
        }

        Context.Items[FailureKey] = authentication;
        return AuthenticateResult.Fail(authentication.Description);
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var authentication = Context.Items.TryGetValue(FailureKey, out var failure) ? (CallerAuthentication)failure! : CallerAuthentication.Fail(CallerAuthenticationFailure.Missing);
        if (IsOAuth(Request))
        {
            return (authentication.Failure is CallerAuthenticationFailure.Ambiguous or CallerAuthenticationFailure.BadAssertionType
                ? OAuthErrors.InvalidRequest(ErrorCodes.ClientAuthenticationInvalid, authentication.Description)
                : OAuthErrors.InvalidClient(authentication.Description)).ExecuteAsync(Context);
        }

        Response.Headers.WWWAuthenticate = authentication.Failure == CallerAuthenticationFailure.Missing
            ? BearerChallenge
            : $"{BearerChallenge}, error=\"invalid_token\", error_description=\"{authentication.Description}\"";
        return ProblemResults.Create(StatusCodes.Status401Unauthorized, ErrorCodes.Unauthenticated, "Unauthenticated", authentication.Description).ExecuteAsync(Context);
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        var needed = Context.GetEndpoint()?.Metadata.GetOrderedMetadata<IAuthorizeData>().Select(a => a.Policy).OfType<string>().Select(BrokerPolicies.Describe).FirstOrDefault() ?? "a role";
        var who = (Context.User.Identity as SpiffeIdentity)?.Caller.Id.Value ?? "the caller";
        return IsOAuth(Request)
            ? OAuthErrors.Error(StatusCodes.Status403Forbidden, "unauthorized_client", ErrorCodes.Forbidden, $"This endpoint needs {needed}; {who} does not hold it.").ExecuteAsync(Context)
            : ProblemResults.Forbidden($"This endpoint needs {needed}; {who} does not hold it.").ExecuteAsync(Context);
    }

    private static bool IsOAuth(HttpRequest request) => request.Path.StartsWithSegments("/oauth2");

    /// <summary>The form of an OAuth request, for its client assertion; the endpoint checks the form's rules itself.</summary>
    private static async ValueTask<IFormCollection> ReadFormAsync(HttpRequest request)
    {
        if (!request.HasFormContentType)
        {
            return FormCollection.Empty;
        }

        try
        {
            return await request.ReadFormAsync(request.HttpContext.RequestAborted);
        }
        catch (Exception ex) when (ex is InvalidDataException or BadHttpRequestException)
        {
            return FormCollection.Empty;
        }
    }
}
