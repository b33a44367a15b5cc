namespace CredentialBroker.Server.OAuth;

/// <summary>RFC 6749 §5.2 error responses for the OAuth endpoints (never problem details there).</summary>
internal static class OAuthErrors
{
    public static IResult InvalidRequest(string description) => Error(StatusCodes.Status400BadRequest, "invalid_request", description);

    public static IResult InvalidClient(string description) =>
        Error(StatusCodes.Status401Unauthorized, "invalid_client", description, "Bearer realm=\"credentialbroker\", error=\"invalid_client\"");

    public static IResult Error(int status, string error, string description, string? wwwAuthenticate = null) =>
        new JsonWriterResult(json =>
        {
            json.WriteString("error", error);
            json.WriteString("error_description", description);
        }, status, wwwAuthenticate: wwwAuthenticate);
}
