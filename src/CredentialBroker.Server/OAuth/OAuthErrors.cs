using CredentialBroker.Abstractions;

namespace CredentialBroker.Server.OAuth;

/// <summary>
/// RFC 6749 §5.2 error responses for the OAuth endpoints (never problem details there): the RFC's <c>error</c> and
/// <c>error_description</c>, and the broker's stable <c>code</c> (<see cref="ErrorCodes"/>, docs/errors.md).
/// </summary>
internal static class OAuthErrors
{
    public static IResult InvalidRequest(string code, string description) => Error(StatusCodes.Status400BadRequest, "invalid_request", code, description);

    public static IResult InvalidClient(string description) =>
        Error(StatusCodes.Status401Unauthorized, "invalid_client", ErrorCodes.Unauthenticated, description, "Bearer realm=\"credentialbroker\", error=\"invalid_client\"");

    public static IResult Error(int status, string error, string code, string description, string? wwwAuthenticate = null) =>
        new JsonWriterResult(json =>
        {
            json.WriteString("error", error);
            json.WriteString("error_description", description);
            json.WriteString("code", code);
        }, status, wwwAuthenticate: wwwAuthenticate);
}
