using System.Text.Json;

namespace CredentialBroker.Server.OAuth;

/// <summary>RFC 6749 §5.2 error responses for the OAuth endpoints (never problem details there).</summary>
internal static class OAuthErrors
{
    public static IResult InvalidRequest(string description) => Error(StatusCodes.Status400BadRequest, "invalid_request", description);

    public static IResult InvalidClient(string description) =>
        Error(StatusCodes.Status401Unauthorized, "invalid_client", description, "Bearer realm=\"credentialbroker\", error=\"invalid_client\"");

    public static IResult Error(int status, string error, string description, string? wwwAuthenticate = null) =>
        new OAuthErrorResult(status, error, description, wwwAuthenticate);

    private sealed class OAuthErrorResult(int status, string error, string description, string? wwwAuthenticate) : IResult
    {
        public async Task ExecuteAsync(HttpContext httpContext)
        {
            var response = httpContext.Response;
            response.StatusCode = status;
            response.ContentType = "application/json";
            response.Headers.CacheControl = "no-store";
            response.Headers.Pragma = "no-cache";
            if (wwwAuthenticate is not null)
            {
                response.Headers.WWWAuthenticate = wwwAuthenticate;
            }

            await using var json = new Utf8JsonWriter(response.Body, JsonWriting.WriterOptions);
            json.WriteStartObject();
            json.WriteString("error", error);
            json.WriteString("error_description", description);
            json.WriteEndObject();
        }
    }
}
